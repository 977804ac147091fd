//! Compiles `proto/` into Rust with `protox` (a pure-Rust protobuf compiler), so a fresh machine
//! needs no `protoc`, and `tonic-prost-build` (servers for the provider, clients for the tests).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/tfplugin6.proto",
        "proto/grpc_controller.proto",
        "proto/grpc_stdio.proto",
        "proto/grpc_broker.proto",
        "proto/health.proto",
    ];
    println!("cargo:rerun-if-changed=proto");
    for f in files {
        println!("cargo:rerun-if-changed={f}");
    }
    let fds = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        // No `Client::connect(url)` helpers: they need tonic's "channel" feature, which the
        // shipped binary leaves out; tests build their channel themselves.
        .build_transport(false)
        .compile_fds(fds)?;
    Ok(())
}
