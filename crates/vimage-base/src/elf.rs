//! Which operating system an ELF executable is built for, read from its header and notes:
//! how vimage tells a jail with a FreeBSD userland from one with a Linux userland (by its
//! `/bin/sh`, as CBSD's jstart does with `elf_tables --osname`).
//!
//! A pure parser of bytes (no I/O), safe on any input: every read is bounds-checked and no
//! loop runs longer than the bytes it walks, so a damaged or hostile file gives an answer or
//! [`NotElf`], never a panic.
//!
//! The rules follow what decides it for FreeBSD's own kernel (sys/kern/imgact_elf.c
//! `__elfN(get_brandinfo)`: brand notes first, then `EI_OSABI`) and the wording:
//! - an ABI note `FreeBSD` (`.note.tag`, type `NT_FREEBSD_ABI_TAG` = 1, desc = osreldate) →
//!   FreeBSD;
//! - a GNU ABI note (`.note.ABI-tag`, name `GNU`, type `NT_GNU_ABI_TAG` = 1) whose OS word is
//!   0 (`GNU_ABI_LINUX`) → Linux;
//! - else `EI_OSABI` 9 (`ELFOSABI_FREEBSD`) → FreeBSD; 3 (`ELFOSABI_LINUX`) or 0
//!   (`ELFOSABI_NONE`, "SYSV", what GNU ld writes for ordinary Linux binaries) → Linux;
//! - anything else (another OS/ABI, a GNU note for the Hurd or GNU/kFreeBSD) → [`Brand::Other`].
//!
//! Notes are looked for in `PT_NOTE` program headers, then in `SHT_NOTE` sections (CBSD's
//! elf_tables reads the first `SHT_NOTE` section), both classes (32/64-bit) and byte orders.

use std::fmt;

/// The OS an executable is built for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Brand {
    /// FreeBSD; `osreldate` from the ABI note when it has one.
    FreeBsd {
        /// The note's `__FreeBSD_version` (1402000 = 14.2), when the note is there.
        osreldate: Option<u32>,
    },
    /// Linux.
    Linux,
    /// Something else, described (`OS/ABI 2 (NetBSD)`, `GNU ABI note for OS 1`).
    Other(String),
}

/// Not an ELF file (too short, wrong magic, or a header whose class or byte order is unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotElf(pub String);

impl fmt::Display for NotElf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What [`read`] found and how it decided, for the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The OS.
    pub brand: Brand,
    /// The evidence: `ABI note FreeBSD 1402000`, `GNU ABI note (Linux 3.2.0)`, `OS/ABI SYSV
    /// and no FreeBSD note`.
    pub evidence: String,
}

const ELFOSABI_NONE: u8 = 0;
const ELFOSABI_LINUX: u8 = 3;
const ELFOSABI_FREEBSD: u8 = 9;
const PT_NOTE: u32 = 4;
const SHT_NOTE: u32 = 7;
const NT_ABI_TAG: u32 = 1;
/// More headers than this are not read (real executables have a dozen or two).
const MAX_HEADERS: usize = 512;

/// A brand note found in the file.
enum Note {
    FreeBsd(Option<u32>),
    Gnu { os: u32, version: [u32; 3] },
}

/// Reads the file's header and notes. `bytes` may be a prefix of the file: notes beyond it
/// are not seen (then `EI_OSABI` decides).
pub fn read(bytes: &[u8]) -> Result<Verdict, NotElf> {
    let h = Header::parse(bytes)?;
    let notes = h.notes(bytes);
    let freebsd = notes.iter().find_map(|n| match n {
        Note::FreeBsd(v) => Some(*v),
        Note::Gnu { .. } => None,
    });
    if let Some(osreldate) = freebsd {
        let evidence = match osreldate {
            Some(v) => format!("ABI note FreeBSD {v}"),
            None => "ABI note FreeBSD".to_string(),
        };
        return Ok(Verdict { brand: Brand::FreeBsd { osreldate }, evidence });
    }
    if let Some((os, v)) = notes.iter().find_map(|n| match n {
        Note::Gnu { os, version } => Some((*os, *version)),
        Note::FreeBsd(_) => None,
    }) {
        let ver = format!("{}.{}.{}", v[0], v[1], v[2]);
        return Ok(if os == 0 {
            Verdict { brand: Brand::Linux, evidence: format!("GNU ABI note (Linux {ver})") }
        } else {
            let what = format!("GNU ABI note for OS {os} ({})", gnu_os(os));
            Verdict { brand: Brand::Other(what.clone()), evidence: what }
        });
    }
    let osabi = h.osabi;
    Ok(match osabi {
        ELFOSABI_FREEBSD => Verdict { brand: Brand::FreeBsd { osreldate: None }, evidence: "OS/ABI FreeBSD".into() },
        ELFOSABI_LINUX => Verdict { brand: Brand::Linux, evidence: "OS/ABI Linux".into() },
        ELFOSABI_NONE => Verdict { brand: Brand::Linux, evidence: "OS/ABI SYSV and no FreeBSD note".into() },
        other => {
            let what = format!("OS/ABI {other} ({})", osabi_name(other));
            Verdict { brand: Brand::Other(what.clone()), evidence: what }
        }
    })
}

/// `GNU_ABI_*` (glibc's elf.h).
fn gnu_os(os: u32) -> &'static str {
    match os {
        1 => "Hurd",
        2 => "Solaris",
        3 => "GNU/kFreeBSD",
        _ => "unknown",
    }
}

/// `ELFOSABI_*` (sys/sys/elf_common.h).
fn osabi_name(v: u8) -> &'static str {
    match v {
        1 => "HP-UX",
        2 => "NetBSD",
        6 => "Solaris",
        7 => "AIX",
        8 => "IRIX",
        12 => "OpenBSD",
        97 => "ARM",
        255 => "standalone",
        _ => "unknown",
    }
}

/// The parts of the ELF header the notes are found with.
struct Header {
    wide: bool,
    big: bool,
    osabi: u8,
    phoff: u64,
    phentsize: u64,
    phnum: u64,
    shoff: u64,
    shentsize: u64,
    shnum: u64,
}

/// Bounds-checked little- or big-endian reads.
#[derive(Clone, Copy)]
struct Rd<'a> {
    b: &'a [u8],
    big: bool,
}

impl Rd<'_> {
    fn bytes<const N: usize>(&self, at: u64) -> Option<[u8; N]> {
        let at = usize::try_from(at).ok()?;
        self.b.get(at..at.checked_add(N)?)?.try_into().ok()
    }
    fn u16(&self, at: u64) -> Option<u64> {
        let a = self.bytes::<2>(at)?;
        Some(u64::from(if self.big { u16::from_be_bytes(a) } else { u16::from_le_bytes(a) }))
    }
    fn u32(&self, at: u64) -> Option<u32> {
        let a = self.bytes::<4>(at)?;
        Some(if self.big { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
    }
    fn u64(&self, at: u64) -> Option<u64> {
        let a = self.bytes::<8>(at)?;
        Some(if self.big { u64::from_be_bytes(a) } else { u64::from_le_bytes(a) })
    }
    /// An address-sized field: 8 bytes in a 64-bit file, 4 in a 32-bit one.
    fn word(&self, wide: bool, at: u64) -> Option<u64> {
        if wide { self.u64(at) } else { self.u32(at).map(u64::from) }
    }
}

impl Header {
    fn parse(b: &[u8]) -> Result<Header, NotElf> {
        if b.len() < 16 || b[..4] != *b"\x7fELF" {
            return Err(NotElf("not an ELF file (no \\x7fELF magic)".into()));
        }
        let wide = match b[4] {
            1 => false,
            2 => true,
            c => return Err(NotElf(format!("ELF class {c} is neither 32- nor 64-bit"))),
        };
        let big = match b[5] {
            1 => false,
            2 => true,
            d => return Err(NotElf(format!("ELF data encoding {d} is neither little- nor big-endian"))),
        };
        let r = Rd { b, big };
        let short = || NotElf("the ELF header is cut short".into());
        let (phoff, shoff, rest) = if wide {
            (r.u64(32).ok_or_else(short)?, r.u64(40).ok_or_else(short)?, 54)
        } else {
            (u64::from(r.u32(28).ok_or_else(short)?), u64::from(r.u32(32).ok_or_else(short)?), 42)
        };
        let f = |i: u64| r.u16(rest + 2 * i).ok_or_else(short);
        Ok(Header {
            wide,
            big,
            osabi: b[7],
            phoff,
            phentsize: f(0)?,
            phnum: f(1)?,
            shoff,
            shentsize: f(2)?,
            shnum: f(3)?,
        })
    }

    /// Every brand note in the `PT_NOTE` segments, else in the `SHT_NOTE` sections.
    fn notes(&self, b: &[u8]) -> Vec<Note> {
        let r = Rd { b, big: self.big };
        let mut out = Vec::new();
        // Program headers: p_type, then (64-bit) p_offset@8, p_filesz@32, p_align@48 or
        // (32-bit) p_offset@4, p_filesz@16, p_align@28.
        let (off, size, align) = if self.wide { (8, 32, 48) } else { (4, 16, 28) };
        for i in 0..self.phnum.min(MAX_HEADERS as u64) {
            let Some(at) = i.checked_mul(self.phentsize).and_then(|x| x.checked_add(self.phoff)) else { break };
            if r.u32(at) != Some(PT_NOTE) {
                continue;
            }
            let field = |d: u64| r.word(self.wide, at.saturating_add(d));
            if let (Some(o), Some(s), Some(a)) = (field(off), field(size), field(align)) {
                walk_notes(r, o, s, if a == 8 { 8 } else { 4 }, &mut out);
            }
        }
        if !out.is_empty() {
            return out;
        }
        // Section headers: sh_type@4, then (64-bit) sh_offset@24, sh_size@32, sh_addralign@48
        // or (32-bit) sh_offset@16, sh_size@20, sh_addralign@32.
        let (off, size, align) = if self.wide { (24, 32, 48) } else { (16, 20, 32) };
        for i in 0..self.shnum.min(MAX_HEADERS as u64) {
            let Some(at) = i.checked_mul(self.shentsize).and_then(|x| x.checked_add(self.shoff)) else { break };
            if r.u32(at.saturating_add(4)) != Some(SHT_NOTE) {
                continue;
            }
            let field = |d: u64| r.word(self.wide, at.saturating_add(d));
            if let (Some(o), Some(s), Some(a)) = (field(off), field(size), field(align)) {
                walk_notes(r, o, s, if a == 8 { 8 } else { 4 }, &mut out);
            }
        }
        out
    }
}

/// Rounds `n` up to a multiple of `align` (4 or 8), `None` on overflow.
fn round(n: u64, align: u64) -> Option<u64> {
    n.checked_add(align - 1).map(|x| x & !(align - 1))
}

/// The brand notes among the notes in `size` bytes at `off`: each is `namesz`, `descsz`,
/// `type`, then the name and the descriptor, each padded to `align`.
fn walk_notes(r: Rd<'_>, off: u64, size: u64, align: u64, out: &mut Vec<Note>) {
    let Some(end) = off.checked_add(size) else { return };
    let end = end.min(r.b.len() as u64);
    let mut at = off;
    while at.checked_add(12).is_some_and(|x| x <= end) {
        let (Some(namesz), Some(descsz), Some(ty)) = (r.u32(at), r.u32(at + 4), r.u32(at + 8)) else { return };
        let name_at = at + 12;
        let Some(desc_at) = round(u64::from(namesz), align).and_then(|n| name_at.checked_add(n)) else { return };
        let Some(next) = round(u64::from(descsz), align).and_then(|d| desc_at.checked_add(d)) else { return };
        if next > end {
            return;
        }
        let name = usize::try_from(name_at)
            .ok()
            .and_then(|s| r.b.get(s..s.checked_add(namesz as usize)?))
            .map(|n| n.strip_suffix(&[0]).unwrap_or(n))
            .unwrap_or_default();
        if ty == NT_ABI_TAG {
            if name == b"FreeBSD" {
                out.push(Note::FreeBsd(if descsz >= 4 { r.u32(desc_at) } else { None }));
            } else if name == b"GNU" && descsz >= 16 {
                let w = |i: u64| r.u32(desc_at + 4 * i).unwrap_or(0);
                out.push(Note::Gnu { os: w(0), version: [w(1), w(2), w(3)] });
            }
        }
        at = next;
    }
}

/// Minimal ELF images for tests (of vimage and of the simulator, which reads jail roots): a
/// 64-bit little-endian header, one `PT_NOTE` program header and one `SHT_NOTE` section over
/// the same note (so CBSD's elf_tables, which reads sections, sees it too).
pub mod sample {
    /// `/bin/sh` of a FreeBSD 14.2 userland: OS/ABI FreeBSD, ABI note `FreeBSD` 1402000.
    pub fn freebsd() -> Vec<u8> {
        image(9, b"FreeBSD\0", &1_402_000u32.to_le_bytes())
    }

    /// `/bin/sh` (dash) of a Debian userland: OS/ABI SYSV, GNU ABI note Linux 3.2.0.
    pub fn linux() -> Vec<u8> {
        let mut desc = Vec::new();
        for w in [0u32, 3, 2, 0] {
            desc.extend_from_slice(&w.to_le_bytes());
        }
        image(0, b"GNU\0", &desc)
    }

    /// An ELF header and nothing else, with `osabi` as its OS/ABI byte.
    pub fn bare(osabi: u8) -> Vec<u8> {
        let mut b = header(osabi, 0, 0, 0, 0);
        b.resize(64, 0);
        b
    }

    fn header(osabi: u8, phnum: u16, shoff: u64, shnum: u16, phoff: u64) -> Vec<u8> {
        let mut b = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, osabi];
        b.resize(16, 0);
        b.extend_from_slice(&2u16.to_le_bytes()); // e_type ET_EXEC
        b.extend_from_slice(&62u16.to_le_bytes()); // e_machine EM_X86_64
        b.extend_from_slice(&1u32.to_le_bytes()); // e_version
        b.extend_from_slice(&0u64.to_le_bytes()); // e_entry
        b.extend_from_slice(&phoff.to_le_bytes());
        b.extend_from_slice(&shoff.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // e_flags
        b.extend_from_slice(&64u16.to_le_bytes()); // e_ehsize
        b.extend_from_slice(&56u16.to_le_bytes()); // e_phentsize
        b.extend_from_slice(&phnum.to_le_bytes());
        b.extend_from_slice(&64u16.to_le_bytes()); // e_shentsize
        b.extend_from_slice(&shnum.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes()); // e_shstrndx
        b
    }

    fn image(osabi: u8, name: &[u8], desc: &[u8]) -> Vec<u8> {
        let pad = |v: &mut Vec<u8>| v.resize(v.len().div_ceil(4) * 4, 0);
        let mut note = Vec::new();
        note.extend_from_slice(&(name.len() as u32).to_le_bytes());
        note.extend_from_slice(&(desc.len() as u32).to_le_bytes());
        note.extend_from_slice(&1u32.to_le_bytes());
        note.extend_from_slice(name);
        pad(&mut note);
        note.extend_from_slice(desc);
        pad(&mut note);
        let note_off = 64 + 56;
        let sh_off = note_off + note.len() as u64;
        let mut b = header(osabi, 1, sh_off, 2, 64);
        // PT_NOTE program header.
        b.extend_from_slice(&4u32.to_le_bytes());
        b.extend_from_slice(&4u32.to_le_bytes()); // p_flags PF_R
        for v in [note_off, note_off, note_off, note.len() as u64, note.len() as u64, 4] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&note);
        // Section 0 (SHT_NULL), then the SHT_NOTE section.
        b.resize(b.len() + 64, 0);
        b.extend_from_slice(&0u32.to_le_bytes()); // sh_name
        b.extend_from_slice(&7u32.to_le_bytes()); // sh_type SHT_NOTE
        for v in [2u64, note_off, note_off, note.len() as u64] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&0u32.to_le_bytes()); // sh_link
        b.extend_from_slice(&0u32.to_le_bytes()); // sh_info
        b.extend_from_slice(&4u64.to_le_bytes()); // sh_addralign
        b.extend_from_slice(&0u64.to_le_bytes()); // sh_entsize
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn freebsd_and_linux_samples_are_told_apart_by_their_notes() {
        let f = read(&sample::freebsd()).unwrap();
        assert_eq!(f.brand, Brand::FreeBsd { osreldate: Some(1_402_000) });
        assert_eq!(f.evidence, "ABI note FreeBSD 1402000");
        let l = read(&sample::linux()).unwrap();
        assert_eq!((l.brand, l.evidence.as_str()), (Brand::Linux, "GNU ABI note (Linux 3.2.0)"));
    }

    #[test]
    fn without_notes_the_osabi_byte_decides_as_in_imgact_elf() {
        let b = |o: u8| read(&sample::bare(o)).unwrap().brand;
        assert_eq!(b(9), Brand::FreeBsd { osreldate: None });
        assert_eq!(b(3), Brand::Linux);
        assert_eq!(b(0), Brand::Linux, "SYSV without a FreeBSD note: an ordinary Linux binary");
        assert!(matches!(b(2), Brand::Other(s) if s.contains("NetBSD")));
    }

    #[test]
    fn a_freebsd_note_wins_over_a_sysv_osabi_byte() {
        let mut img = sample::freebsd();
        img[7] = 0;
        assert_eq!(read(&img).unwrap().brand, Brand::FreeBsd { osreldate: Some(1_402_000) });
    }

    #[test]
    fn notes_are_found_through_sections_when_there_is_no_pt_note() {
        let mut img = sample::linux();
        img[64] = 1; // the program header becomes PT_LOAD
        img[7] = 2; // and OS/ABI NetBSD: only the section's note can say Linux
        assert_eq!(read(&img).unwrap().brand, Brand::Linux);
    }

    #[test]
    fn a_gnu_note_for_another_os_is_not_linux() {
        let mut img = sample::linux();
        let at = 64 + 56 + 16; // the note's descriptor: the OS word
        img[at] = 3;
        assert!(matches!(read(&img).unwrap().brand, Brand::Other(s) if s.contains("kFreeBSD")));
    }

    #[test]
    fn non_elf_and_cut_headers_are_not_elf() {
        assert!(read(b"#!/bin/sh\necho hi\n").is_err());
        assert!(read(b"").is_err());
        assert!(read(&sample::freebsd()[..20]).is_err());
        let mut odd = sample::bare(0);
        odd[4] = 7;
        assert!(read(&odd).unwrap_err().0.contains("class 7"));
    }

    #[test]
    fn big_endian_and_32_bit_headers_are_read() {
        // ELF32 big-endian, OS/ABI FreeBSD, no headers.
        let mut b = vec![0x7f, b'E', b'L', b'F', 1, 2, 1, 9];
        b.resize(52, 0);
        assert_eq!(read(&b).unwrap().brand, Brand::FreeBsd { osreldate: None });
    }

    #[test]
    fn a_note_longer_than_its_segment_is_ignored() {
        let mut img = sample::linux();
        let namesz_at = 64 + 56;
        img[namesz_at..namesz_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        // The damaged note is skipped; OS/ABI SYSV still says Linux.
        assert_eq!(read(&img).unwrap().evidence, "OS/ABI SYSV and no FreeBSD note");
    }

    proptest! {
        #[test]
        fn any_bytes_give_an_answer_and_never_panic(b in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = read(&b);
        }

        #[test]
        fn damaged_samples_never_panic(
            which in 0..2usize, at in 0..300usize, v in any::<u8>(), cut in 0..400usize,
        ) {
            let mut img = if which == 0 { sample::freebsd() } else { sample::linux() };
            if at < img.len() {
                img[at] = v;
            }
            img.truncate(cut.max(1));
            let _ = read(&img);
        }
    }
}
