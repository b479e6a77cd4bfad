/// The browser client's files (clients/web), embedded in the binaries at build time: the relay serves them as they are.
package enum WebClientFiles {
    /// A file and the media type it is served with.
    package struct File: Sendable {
        package let bytes: [UInt8]
        package let contentType: String
    }

    private static let javaScript = "text/javascript; charset=utf-8"

    /// The client files under `/client/`, by path below it.
    package static let client: [String: File] = [
        "msgrelay.js": File(bytes: PackageResources.msgrelay_js, contentType: javaScript),
        "msgrelay.d.ts": File(bytes: PackageResources.msgrelay_d_ts, contentType: "text/plain; charset=utf-8"),
        "sw.js": File(bytes: PackageResources.sw_js, contentType: javaScript),
    ]

    /// The demo chat page's files under `/client/demo/`, by path below it.
    package static let demo: [String: File] = [
        "index.html": File(bytes: PackageResources.index_html, contentType: "text/html; charset=utf-8"),
        "demo.js": File(bytes: PackageResources.demo_js, contentType: javaScript),
        "demo.css": File(bytes: PackageResources.demo_css, contentType: "text/css; charset=utf-8"),
    ]
}
