import FuzzDriver
import FuzzHarnesses

@_cdecl("FuzzImages_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(.images, argc, argv)
}
