//! Reads a vimage-VERSION.pkg independently of its writer (tools/pkgtool, Python): the `tar`
//! crate for the archive, `lzma-rs` for xz, serde_json for the manifests, and pkg's checksum
//! (BLAKE2b-512 in pkg's own z-base32, freebsd/pkg libpkg/pkg_checksum.c) implemented here
//! from RFC 7693 and the C source. Then checks the package against the staged tree it was
//! made from. Used by tests/package.rs for the test package and for the one CI builds.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

// ---- BLAKE2b-512 (RFC 7693 §3) -------------------------------------------------------

const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

const SIGMA: [[usize; 16]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

fn mix(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
    v[d] = (v[d] ^ v[a]).rotate_right(32);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(24);
    v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
    v[d] = (v[d] ^ v[a]).rotate_right(16);
    v[c] = v[c].wrapping_add(v[d]);
    v[b] = (v[b] ^ v[c]).rotate_right(63);
}

fn compress(h: &mut [u64; 8], block: &[u8; 128], t: u128, last: bool) {
    let mut m = [0u64; 16];
    for (i, w) in m.iter_mut().enumerate() {
        *w = u64::from_le_bytes(block[i * 8..i * 8 + 8].try_into().unwrap());
    }
    let mut v = [0u64; 16];
    v[..8].copy_from_slice(h);
    v[8..].copy_from_slice(&IV);
    v[12] ^= t as u64;
    v[13] ^= (t >> 64) as u64;
    if last {
        v[14] = !v[14];
    }
    for r in 0..12 {
        let s = &SIGMA[r % 10];
        mix(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
        mix(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
        mix(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
        mix(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
        mix(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
        mix(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
        mix(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
        mix(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for i in 0..8 {
        h[i] ^= v[i] ^ v[i + 8];
    }
}

/// BLAKE2b with a 64-byte digest and no key.
pub fn blake2b512(data: &[u8]) -> [u8; 64] {
    let mut h = IV;
    h[0] ^= 0x0101_0000 ^ 64;
    let mut done: u128 = 0;
    let mut rest = data;
    while rest.len() > 128 {
        done += 128;
        compress(&mut h, rest[..128].try_into().unwrap(), done, false);
        rest = &rest[128..];
    }
    let mut last = [0u8; 128];
    last[..rest.len()].copy_from_slice(rest);
    compress(&mut h, &last, done + rest.len() as u128, true);
    let mut out = [0u8; 64];
    for (i, w) in h.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    out
}

/// pkg_checksum_encode_base32: 5 input bytes become 8 digits, least significant bits first.
pub fn pkg_zbase32(data: &[u8]) -> String {
    const B32: &[u8; 32] = b"ybndrfg8ejkmcpqxot1uwisza345h769";
    let mut out = String::new();
    let mut acc: u32 = 0; // bits not yet written, least significant first
    let mut nbits = 0;
    for &b in data {
        acc |= u32::from(b) << nbits;
        nbits += 8;
        while nbits >= 5 {
            out.push(B32[(acc & 0x1f) as usize] as char);
            acc >>= 5;
            nbits -= 5;
        }
    }
    if nbits > 0 {
        out.push(B32[(acc & 0x1f) as usize] as char);
    }
    out
}

/// The manifest "sum" pkg 2.8 writes for content `data`: PKG_HASH_TYPE_BLAKE2_BASE32 (2).
pub fn pkg_sum(data: &[u8]) -> String {
    format!("2${}", pkg_zbase32(&blake2b512(data)))
}

/// What pkg sums for a symlink (pkg_checksum_symlink_readlink): the target without a leading
/// '/', with the original length, so an absolute target takes its terminating NUL along.
pub fn pkg_symlink_sum(target: &str) -> String {
    match target.strip_prefix('/') {
        Some(rel) => pkg_sum(format!("{rel}\0").as_bytes()),
        None => pkg_sum(target.as_bytes()),
    }
}

// ---- reading the package ------------------------------------------------------------

/// One tar entry, as the `tar` crate reads it.
#[derive(Debug, Clone)]
pub struct TarEntry {
    pub path: String,
    pub kind: char, // 'f' file, 'l' symlink, 'd' directory
    pub mode: u32,
    pub uname: String,
    pub gname: String,
    pub uid: u64,
    pub mtime: u64,
    pub link: Option<String>,
    pub data: Vec<u8>,
}

/// A package read back: the entries in archive order and both manifests (text and JSON).
pub struct Package {
    pub entries: Vec<TarEntry>,
    pub compact_text: String,
    pub manifest_text: String,
    pub compact: Value,
    pub manifest: Value,
}

/// Unpacks `pkg` (xz-compressed tar) in memory.
pub fn read(pkg: &Path) -> Package {
    let raw = std::fs::read(pkg).unwrap_or_else(|e| panic!("{}: {e}", pkg.display()));
    // Like libarchive (archive_read_support_filter_all), tell the format by its magic: xz
    // (pkg's txz) or a plain tar (pkg's tar, "ustar" at offset 257).
    let tar_bytes = if raw.starts_with(b"\xfd7zXZ\0") {
        let mut out = Vec::new();
        lzma_rs::xz_decompress(&mut std::io::BufReader::new(&raw[..]), &mut out).expect("xz stream");
        out
    } else {
        assert_eq!(raw.get(257..262), Some(&b"ustar"[..]), "{}: neither xz nor tar", pkg.display());
        raw
    };
    let mut ar = tar::Archive::new(&tar_bytes[..]);
    let mut entries = Vec::new();
    for e in ar.entries().expect("tar") {
        let mut e = e.expect("tar entry");
        let h = e.header().clone();
        let path = String::from_utf8(e.path_bytes().into_owned()).unwrap();
        let kind = match h.entry_type() {
            tar::EntryType::Regular => 'f',
            tar::EntryType::Symlink => 'l',
            tar::EntryType::Directory => 'd',
            t => panic!("{path}: unexpected tar entry type {t:?}"),
        };
        let link = e.link_name_bytes().map(|b| String::from_utf8(b.into_owned()).unwrap());
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        entries.push(TarEntry {
            path,
            kind,
            mode: h.mode().unwrap(),
            uname: h.username().unwrap().unwrap_or_default().to_string(),
            gname: h.groupname().unwrap().unwrap_or_default().to_string(),
            uid: h.uid().unwrap(),
            mtime: h.mtime().unwrap(),
            link,
            data,
        });
    }
    assert!(entries.len() >= 2, "{}: fewer than two entries", pkg.display());
    let text = |i: usize| String::from_utf8(entries[i].data.clone()).unwrap();
    let (compact_text, manifest_text) = (text(0), text(1));
    let compact = serde_json::from_str(&compact_text).expect("+COMPACT_MANIFEST is JSON");
    let manifest = serde_json::from_str(&manifest_text).expect("+MANIFEST is JSON");
    Package { entries, compact_text, manifest_text, compact, manifest }
}

/// Every file and symlink under `root` (paths relative to it), with lstat metadata.
pub fn walk(root: &Path) -> BTreeMap<String, std::fs::Metadata> {
    fn go(dir: &Path, root: &Path, out: &mut BTreeMap<String, std::fs::Metadata>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let md = std::fs::symlink_metadata(&p).unwrap();
            if md.is_dir() {
                go(&p, root, out);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_string_lossy().into_owned(), md);
            }
        }
    }
    let mut out = BTreeMap::new();
    go(root, root, &mut out);
    out
}

/// The paths a plist lists (lines without '@'), relative to the prefix.
pub fn plist_paths(plist: &str) -> BTreeSet<String> {
    plist
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('@') && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// What the package is expected to say besides its files.
pub struct Expect<'a> {
    pub version: &'a str,
    pub comment: &'a str,
    pub maintainer: &'a str,
    pub www: &'a str,
    pub desc: &'a str,
    /// `Some(list)`: the binary is a FreeBSD ELF and these are its shlibs_required.
    pub shlibs_required: Option<&'a [&'a str]>,
}

const NON_COMPACT: [&str; 5] = ["files", "config", "directories", "scripts", "lua_scripts"];

/// Checks package `p` against the tree staged under `stage` (the install root) and the plist.
pub fn check(p: &Package, stage: &Path, plist: &str, want: &Expect<'_>) {
    // +COMPACT_MANIFEST and +MANIFEST first, as pkg_create_from_dir appends them.
    for (i, name) in ["+COMPACT_MANIFEST", "+MANIFEST"].iter().enumerate() {
        let e = &p.entries[i];
        assert_eq!(&e.path, name);
        assert_eq!((e.kind, e.mode, e.uname.as_str(), e.gname.as_str(), e.mtime), ('f', 0o644, "root", "wheel", 0));
    }
    // Compact JSON (UCL_EMIT_JSON_COMPACT): no newline or indentation between tokens.
    for t in [&p.compact_text, &p.manifest_text] {
        assert!(t.starts_with("{\"name\":\"vimage\",\"origin\":\"sysutils/vimage\",\"version\":"), "{t:.80}");
        assert!(!t.contains("\n") && !t.contains("\":  "), "not compact JSON");
    }
    // pkg_emit_object's key order, checked on the text (JSON objects have none).
    let order = [
        "\"name\":",
        "\"origin\":",
        "\"version\":",
        "\"comment\":",
        "\"maintainer\":",
        "\"www\":",
        "\"abi\":",
        "\"arch\":",
        "\"prefix\":",
        "\"flatsize\":",
        "\"licenselogic\":",
        "\"licenses\":",
        "\"desc\":",
        "\"categories\":",
    ];
    let pos: Vec<usize> = order.iter().map(|k| p.manifest_text.find(k).unwrap_or_else(|| panic!("no {k}"))).collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]), "manifest keys out of pkg's order: {pos:?}");
    assert!(p.manifest_text.find("\"categories\":").unwrap() < p.manifest_text.find("\"files\":").unwrap());

    let m = &p.manifest;
    let mut without = m.as_object().unwrap().clone();
    for k in NON_COMPACT {
        without.remove(k);
    }
    assert_eq!(Value::Object(without), p.compact, "+COMPACT_MANIFEST must be +MANIFEST without files and scripts");
    for (k, v) in [
        ("name", "vimage"),
        ("origin", "sysutils/vimage"),
        ("version", want.version),
        ("comment", want.comment),
        ("maintainer", want.maintainer),
        ("www", want.www),
        ("abi", "FreeBSD:14:amd64"),
        ("arch", "freebsd:14:x86:64"),
        ("prefix", "/usr/local"),
        ("licenselogic", "single"),
        ("desc", want.desc.trim()),
    ] {
        assert_eq!(m[k], v, "manifest {k}");
    }
    assert_eq!(m["licenses"], serde_json::json!(["BSD2CLAUSE"]));
    assert_eq!(m["categories"], serde_json::json!(["sysutils"]));
    assert!(m.get("deps").is_none(), "pkg leaves out an empty deps map");
    match want.shlibs_required {
        Some(l) => assert_eq!(m["shlibs_required"], serde_json::json!(l)),
        None => assert!(m.get("shlibs_required").is_none()),
    }

    // The same paths in the plist, the manifest, the archive and the staged tree.
    let prefix = stage.join("usr/local");
    let staged = walk(&prefix);
    let listed = plist_paths(plist);
    let files = m["files"].as_object().expect("files");
    let in_manifest: BTreeSet<String> = files
        .keys()
        .map(|k| k.strip_prefix("/usr/local/").unwrap_or_else(|| panic!("{k} outside /usr/local")).into())
        .collect();
    let in_tar: BTreeSet<String> = p.entries[2..]
        .iter()
        .filter(|e| e.kind != 'd')
        .map(|e| e.path.strip_prefix("/usr/local/").unwrap_or_else(|| panic!("{} outside /usr/local", e.path)).into())
        .collect();
    let in_stage: BTreeSet<String> = staged.keys().cloned().collect();
    assert_eq!(in_manifest, listed, "manifest vs plist");
    assert_eq!(in_tar, listed, "archive vs plist");
    assert_eq!(in_stage, listed, "staged tree vs plist");
    let dirs_tar: BTreeSet<&str> = p.entries.iter().filter(|e| e.kind == 'd').map(|e| e.path.as_str()).collect();
    let dirs_manifest: BTreeSet<&str> = m
        .get("directories")
        .and_then(Value::as_object)
        .map(|d| d.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(dirs_tar, dirs_manifest, "directories");

    // Files in path order, then directories (pkg keeps both sorted).
    let file_paths: Vec<&str> = p.entries[2..].iter().filter(|e| e.kind != 'd').map(|e| e.path.as_str()).collect();
    let mut sorted = file_paths.clone();
    sorted.sort();
    assert_eq!(file_paths, sorted, "files are not in pkg's sorted order");

    // Each file: sum, mode, owner, time and contents agree with the staged file.
    let mtime = p.entries[2].mtime;
    let mut flatsize = 0u64;
    for e in p.entries[2..].iter().filter(|e| e.kind != 'd') {
        let rel = &e.path["/usr/local/".len()..];
        let md = &staged[rel];
        let f = &files[&e.path];
        let perm = u32::from_str_radix(f["perm"].as_str().unwrap(), 8).unwrap();
        assert!(f["perm"].as_str().unwrap().starts_with('0') && f["perm"].as_str().unwrap().len() >= 4);
        assert_eq!(perm, md.mode() & 0o7777, "{rel}: manifest perm vs staged mode");
        assert_eq!(e.mode & 0o7777, perm, "{rel}: archive mode vs manifest perm");
        assert_eq!((e.uname.as_str(), e.gname.as_str(), e.uid), ("root", "wheel", 65534), "{rel}: owner");
        assert_eq!((f["uname"].as_str(), f["gname"].as_str()), (Some("root"), Some("wheel")), "{rel}");
        assert_eq!(e.mtime, mtime, "{rel}: one timestamp for every file");
        assert_eq!(f["mtime"].as_u64(), Some(mtime), "{rel}: manifest mtime");
        flatsize += md.len();
        let path = prefix.join(rel);
        if md.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap().to_string_lossy().into_owned();
            assert_eq!((e.kind, e.link.as_deref()), ('l', Some(target.as_str())), "{rel}: link");
            assert_eq!(f["symlink_target"], target.as_str(), "{rel}");
            assert_eq!(f["sum"], pkg_symlink_sum(&target), "{rel}: sum");
            assert!(e.data.is_empty());
        } else {
            let data = std::fs::read(&path).unwrap();
            assert_eq!(e.kind, 'f', "{rel}");
            assert!(e.data == data, "{rel}: archive contents differ from the staged file");
            assert_eq!(f["sum"], pkg_sum(&data), "{rel}: sum");
            assert!(f.get("symlink_target").is_none());
        }
    }
    assert_eq!(m["flatsize"].as_u64(), Some(flatsize), "flatsize: the lstat sizes of all files");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn blake2b_matches_rfc_7693() {
        // RFC 7693 appendix A ("abc") and the digest of the empty message.
        assert_eq!(
            hex(&blake2b512(b"abc")),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        );
        assert_eq!(
            hex(&blake2b512(b"")),
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce"
        );
        // Multi-block input, an exact multiple of the block size, and one byte more.
        let a = vec![0x61u8; 256];
        assert_ne!(blake2b512(&a), blake2b512(&a[..255]));
        assert_ne!(blake2b512(&a[..128]), blake2b512(&a[..129]));
    }

    #[test]
    fn zbase32_as_pkg_writes_it() {
        assert_eq!(pkg_zbase32(b"\x01"), "by");
        assert_eq!(pkg_zbase32(b"\xff"), "98");
        assert_eq!(pkg_zbase32(b"\x20\x00"), "ybyy");
        assert_eq!(pkg_zbase32(&[0u8; 64]).len(), 103);
    }
}
