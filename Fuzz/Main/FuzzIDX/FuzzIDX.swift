import FuzzDriver
import FuzzHarnesses

@_cdecl("FuzzIDX_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(.idx, argc, argv)
}
