import FuzzDriver
import FuzzHarnesses

@_cdecl("FuzzPredictRequest_main")
func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(.predictRequest, argc, argv)
}
