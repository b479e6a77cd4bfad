import Glibc

/// Writing a buffer whole to a file descriptor.
package enum FileWrite {
    /// Writes all of `bytes` to `descriptor`, going on after a partial write or an interrupted one (`EINTR`).
    /// - Returns: 0 once every byte is written, else the `errno` of the write that failed (`EIO` for a write that
    ///   wrote nothing).
    package static func all(to descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return errno
            }
            guard written > 0 else { return EIO }
            offset += written
        }
        return 0
    }
}
