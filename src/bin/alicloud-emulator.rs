//! `alicloud-emulator`: the local PolarDB / PolarDB-X backup API emulator.

fn main() {}
