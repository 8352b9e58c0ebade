import CCrypto
import Foundation

/// MD5 digests from the system's libcrypto, for the checksums data sets publish.
enum MD5 {
    /// The digest of `data` as 32 lowercase hexadecimal digits.
    static func hexDigest(of data: Data) -> String {
        var digest = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        let succeeded = data.withUnsafeBytes { bytes in
            EVP_Digest(bytes.baseAddress, bytes.count, &digest, &length, EVP_md5(), nil) == 1
        }
        // Fails only when libcrypto cannot allocate its context or offers no MD5: no digest
        // then matches a published one, so the download is refused rather than accepted.
        guard succeeded, length == 16 else { return "(libcrypto could not compute an MD5 digest)" }
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}
