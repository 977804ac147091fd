#!/usr/bin/env python3
"""Checks a cross-built provider binary without running it: its format and architecture, and
that it links only system libraries. Used by scripts/cross-check.sh for what cannot run here.

  binary-check.py macho-arm64|macho-x86_64|pe-x86_64|elf-aarch64 FILE

Mach-O: the CPU type, and every LC_LOAD_DYLIB / LC_LOAD_WEAK_DYLIB / LC_REEXPORT_DYLIB /
LC_LAZY_LOAD_DYLIB must be libSystem or libiconv/libcharset in /usr/lib (system libraries of
every macOS; no framework, see DESIGN.md "Trusted roots"). PE: the machine, and every imported DLL must be one that
ships with Windows. ELF: the machine, and every DT_NEEDED must be a glibc library.
Prints what it found; exits 1 on any mismatch.
"""
import struct
import sys

MACHO_CPU = {"macho-arm64": 0x0100000C, "macho-x86_64": 0x01000007}
MACHO_DYLIB_CMDS = {0xC: "LC_LOAD_DYLIB", 0x80000018: "LC_LOAD_WEAK_DYLIB",
                    0x8000001F: "LC_REEXPORT_DYLIB", 0x20: "LC_LAZY_LOAD_DYLIB"}
# libSystem, plus libiconv (and libcharset, which it re-exports): the libc crate links iconv
# for every Rust program on Apple targets. All three are in every macOS install (/usr/lib, in
# the dyld shared cache). No framework (/System/Library/Frameworks/...) and nothing else.
MACHO_ALLOWED = {"/usr/lib/libSystem.B.dylib", "/usr/lib/libiconv.2.dylib",
                 "/usr/lib/libcharset.1.dylib"}

# DLLs that are part of every Windows installation (kernel, sockets, crypto, C runtime).
# bcryptprimitives.dll: ProcessPrng, which Rust's std uses for randomness (Windows 10 and later).
PE_ALLOWED = {"kernel32.dll", "ntdll.dll", "ws2_32.dll", "bcrypt.dll", "bcryptprimitives.dll",
              "advapi32.dll",
              "userenv.dll", "msvcrt.dll", "synchronization.dll", "secur32.dll", "crypt32.dll",
              "shell32.dll", "ole32.dll", "oleaut32.dll", "user32.dll", "iphlpapi.dll"}
PE_ALLOWED_PREFIX = ("api-ms-win-",)

ELF_ALLOWED = {"libc.so.6", "libm.so.6", "libgcc_s.so.1", "libpthread.so.0", "libdl.so.2",
               "librt.so.1", "ld-linux-aarch64.so.1", "ld-linux-x86-64.so.2"}


def macho(data, want):
    magic = struct.unpack_from("<I", data, 0)[0]
    if magic != 0xFEEDFACF:
        return [f"not a 64-bit little-endian Mach-O (magic {magic:#x})"], {}
    cputype, _sub, filetype, ncmds, _size, _flags = struct.unpack_from("<iiIIII", data, 4)
    problems, found = [], {"cputype": hex(cputype & 0xFFFFFFFF), "filetype": filetype, "dylibs": []}
    if cputype & 0xFFFFFFFF != MACHO_CPU[want]:
        problems.append(f"CPU type {cputype:#x}, expected {MACHO_CPU[want]:#x}")
    if filetype != 2:
        problems.append(f"file type {filetype}, expected MH_EXECUTE (2)")
    off = 32
    for _ in range(ncmds):
        cmd, size = struct.unpack_from("<II", data, off)
        if cmd in MACHO_DYLIB_CMDS:
            name_off = struct.unpack_from("<I", data, off + 8)[0]
            name = data[off + name_off: off + size].split(b"\0", 1)[0].decode()
            found["dylibs"].append(f"{MACHO_DYLIB_CMDS[cmd]} {name}")
            if name not in MACHO_ALLOWED:
                problems.append(f"links {name} ({MACHO_DYLIB_CMDS[cmd]}), not libSystem or libiconv")
        off += size
    return problems, found


def pe(data, _want):
    if data[:2] != b"MZ":
        return ["not a PE file"], {}
    pe_off = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe_off:pe_off + 4] != b"PE\0\0":
        return ["no PE signature"], {}
    machine, nsect, _t, _s, _n, opt_size, _c = struct.unpack_from("<HHIIIHH", data, pe_off + 4)
    problems, found = [], {"machine": hex(machine), "dlls": []}
    if machine != 0x8664:
        problems.append(f"machine {machine:#x}, expected x86-64 (0x8664)")
    opt = pe_off + 24
    if struct.unpack_from("<H", data, opt)[0] != 0x20B:
        return problems + ["not PE32+"], found
    subsystem = struct.unpack_from("<H", data, opt + 68)[0]
    found["subsystem"] = {3: "console", 2: "gui"}.get(subsystem, subsystem)
    if subsystem != 3:
        problems.append(f"subsystem {subsystem}, expected a console program (3)")
    import_rva = struct.unpack_from("<I", data, opt + 112 + 8)[0]
    sections = []
    sect = opt + opt_size
    for i in range(nsect):
        _name, vsize, vaddr, rawsize, rawptr = struct.unpack_from("<8sIIII", data, sect + 40 * i)
        sections.append((vaddr, max(vsize, rawsize), rawptr))

    def at(rva):
        for vaddr, size, rawptr in sections:
            if vaddr <= rva < vaddr + size:
                return rva - vaddr + rawptr
        raise ValueError(f"RVA {rva:#x} in no section")

    off = at(import_rva)
    while True:
        _ilt, _ts, _fw, name_rva, iat = struct.unpack_from("<IIIII", data, off)
        if name_rva == 0 and iat == 0:
            break
        pos = at(name_rva)
        name = data[pos:data.index(b"\0", pos)].decode().lower()
        found["dlls"].append(name)
        if name not in PE_ALLOWED and not name.startswith(PE_ALLOWED_PREFIX):
            problems.append(f"imports {name}, which does not ship with Windows")
        off += 20
    return problems, found


def elf(data, _want):
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return ["not a 64-bit little-endian ELF"], {}
    machine = struct.unpack_from("<H", data, 18)[0]
    problems, found = [], {"machine": machine, "needed": []}
    if machine != 183:
        problems.append(f"machine {machine}, expected AArch64 (183)")
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    loads, dynamic = [], None
    for i in range(phnum):
        p_type, _f, p_off, p_vaddr, _pa, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
        if p_type == 1:
            loads.append((p_vaddr, p_off, p_filesz))
        elif p_type == 2:
            dynamic = (p_off, p_filesz)
    if dynamic is None:
        return problems, found  # static
    entries, strtab = [], None
    for j in range(dynamic[1] // 16):
        tag, val = struct.unpack_from("<qQ", data, dynamic[0] + 16 * j)
        if tag == 0:
            break
        entries.append((tag, val))
        if tag == 5:
            strtab = val
    base = next(off - vaddr for vaddr, off, size in loads if vaddr <= strtab < vaddr + size)
    for tag, val in entries:
        if tag == 1:
            pos = base + strtab + val
            name = data[pos:data.index(b"\0", pos)].decode()
            found["needed"].append(name)
            if name not in ELF_ALLOWED:
                problems.append(f"needs {name}, not a glibc library")
    return problems, found


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    check = {"macho-arm64": macho, "macho-x86_64": macho, "pe-x86_64": pe, "elf-aarch64": elf}.get(kind)
    if check is None:
        sys.exit(f"unknown kind {kind}; see --help")
    problems, found = check(data, kind)
    print(f"{path}: {kind}, {len(data)} bytes, {found}")
    for p in problems:
        print(f"  FAIL: {p}")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
