// libjpeg-turbo's TurboJPEG API, which returns errors instead of calling longjmp or exit
// the way the classic libjpeg API does, so Swift can call it directly.
#include <turbojpeg.h>
