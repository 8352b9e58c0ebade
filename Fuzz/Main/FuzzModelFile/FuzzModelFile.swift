import FuzzDriver
import FuzzHarnesses

@_cdecl("FuzzModelFile_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(.modelFile, argc, argv)
}
