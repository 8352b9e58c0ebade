import FuzzDriver
import FuzzHarnesses

@_cdecl("FuzzModelStructure_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(.modelStructure, argc, argv)
}
