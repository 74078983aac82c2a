"""Writes a FreeBSD pkg(8) package (NAME-VERSION.pkg) from a staged tree and a plist.

Follows freebsd/pkg 2.8.4 (the newest release read for this), `pkg create -M MANIFEST -p PLIST
-r ROOT`, step by step; each function names the libpkg code it mirrors:

* the archive: a tar in libarchive's "pax restricted" form (plain ustar headers unless a field
  does not fit) compressed with xz (packing.c: packing_init, packing_set_format). pkg's default
  format is tzst (configure.def: DEFAULT_COMPRESSION TZS); Python's standard library has no
  zstd, so this writes pkg's "txz" format (`pkg create -f txz`), which every pkg reads
  (pkg.c: archive_read_support_filter_all). xz at libarchive's default level 6, CRC64 check.
* +COMPACT_MANIFEST, then +MANIFEST, first, as compact JSON (pkg_create.c:
  pkg_create_from_dir, UCL_EMIT_JSON_COMPACT), each as a regular file 0644 root:wheel with no
  time set, i.e. mtime 0 (packing.c: packing_append_iovec);
* then every file in path order (pkg.c: pkg_addfile_attr keeps files sorted), then every @dir:
  absolute path ("/usr/local/bin/vimage"), the plist's mode or else the staged file's, uname
  and gname from the plist (root/wheel), uid/gid 65534 as pkg sets them on FreeBSD for
  reproducibility, mtime the SOURCE_DATE_EPOCH timestamp (packing.c: packing_append_file_attr);
* the manifest's keys in pkg_emit_object's order (pkg_manifest.c); "files" as objects with
  sum, uname, gname, perm ("%#4.4o"), symlink_target and mtime; paths and desc urlencoded
  (only '%' and non-ASCII bytes); empty lists and maps left out, as pkg leaves them out;
* file sums "2$" + z-base32 BLAKE2b-512 (pkg_checksum.c: PKG_HASH_TYPE_BLAKE2_BASE32,
  pkg_checksum_generate_fileat, pkg_checksum_encode_base32); a symlink's sum is of its target,
  with the leading '/' dropped and the terminating NUL included, as pkg_checksum_symlinkat does;
* flatsize: the lstat size of every file (symlinks included, hard links once) (pkg_create.c);
* shlibs_required: the DT_NEEDED of the package's FreeBSD ELF files, sorted, without absolute
  paths, names not starting with "lib", or libraries the package itself contains
  (pkg_elf.c: pkg_analyse_elf, pkg_abi.c: pkg_cleanup_shlibs_required).

Not done here, because vimage needs none of it: shared libraries it provides, users and
groups, options, dependencies, shell scripts, messages, file flags.
"""

import hashlib
import io
import json
import lzma
import os
import stat
import tarfile

from . import elf as E
from . import plist as P

ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769"
PKG_HASH_TYPE_BLAKE2_BASE32 = 2
PKG_UID = 65534  # packing_append_file_attr on FreeBSD: "nobody", so no builder's uid leaks in


class PkgError(Exception):
    """Something pkg create would refuse, or this writer does not support."""


def zbase32(data):
    """pkg_checksum_encode_base32: pkg's own z-base32 (least significant bits first)."""
    out = []
    remain = -1
    for i, b in enumerate(data):
        k = i % 5
        if k == 0:
            out.append(ZBASE32[b & 0x1F])
            remain = b >> 5
        elif k == 1:
            x = remain | b << 3
            out += [ZBASE32[x & 0x1F], ZBASE32[x >> 5 & 0x1F]]
            remain = x >> 10
        elif k == 2:
            x = remain | b << 1
            out.append(ZBASE32[x & 0x1F])
            remain = x >> 5
        elif k == 3:
            x = remain | b << 4
            out += [ZBASE32[x & 0x1F], ZBASE32[x >> 5 & 0x1F]]
            remain = x >> 10 & 0x3
        else:
            x = remain | b << 2
            out += [ZBASE32[x & 0x1F], ZBASE32[x >> 5 & 0x1F]]
            remain = -1
    if remain >= 0:
        out.append(ZBASE32[remain])
    return "".join(out)


def file_sum(path):
    """The manifest "sum" of the file or symlink at `path` (pkg_checksum_generate_fileat)."""
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        target = os.fsencode(os.readlink(path))
        # pkg_checksum_symlink_readlink: RELATIVE_PATH(target) with the original length, so an
        # absolute target is hashed without its '/' but with the NUL after it.
        data = target[1:] + b"\0" if target.startswith(b"/") else target
    else:
        with open(path, "rb") as f:
            data = f.read()
    return f"{PKG_HASH_TYPE_BLAKE2_BASE32}${zbase32(hashlib.blake2b(data, digest_size=64).digest())}"


def urlencode(s):
    """pkg_manifest.c urlencode(): '%' and every non-ASCII byte as %xx, the rest unchanged."""
    out = []
    for b in s.encode("utf-8"):
        out.append(f"%{b:02x}" if b >= 0x80 or b == 0x25 else chr(b))
    return "".join(out)


def ucl_json(v):
    """libucl's UCL_EMIT_JSON_COMPACT for the values a manifest holds (ucl_emitter.c)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _ucl_string(v)
    if isinstance(v, list):
        return "[" + ",".join(ucl_json(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(_ucl_string(k) + ":" + ucl_json(x) for k, x in v.items()) + "}"
    raise TypeError(f"cannot emit {type(v).__name__}")


_UCL_ESCAPES = {"\n": "\\n", "\r": "\\r", "\b": "\\b", "\t": "\\t", "\f": "\\f", "\v": "\\u000B",
                "\\": "\\\\", '"': '\\"'}


def _ucl_string(s):
    """ucl_elt_string_write_json: the short escapes, \\u000B for VT, U+FFFD for other controls."""
    out = []
    for ch in s:
        if ch in _UCL_ESCAPES:
            out.append(_UCL_ESCAPES[ch])
        elif ord(ch) < 0x20 or ch == "\x7f":
            out.append("\\uFFFD")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def arch_to_legacy(abi):
    """pkg_abi.c pkg_arch_to_legacy: FreeBSD:14:amd64 -> freebsd:14:x86:64."""
    parts = abi.split(":", 2)
    if len(parts) < 3:
        return abi.split(":", 1)[0].lower() + (":" + parts[1] if len(parts) > 1 else "")
    # The part of machine_arch_translation (pkg_abi.c) for the architectures FreeBSD 14 has.
    arch = {"amd64": "x86:64", "i386": "x86:32", "aarch64": "aarch64:64", "armv7": "armv7:32:el:eabi:hardfp",
            "powerpc64": "powerpc:64:eb", "powerpc64le": "powerpc:64:el", "riscv64": "riscv:64:hf"}.get(parts[2], parts[2])
    return f"{parts[0].lower()}:{parts[1]}:{arch}"


def _shlibs_required(stage, files):
    """pkg_analyse_elf + pkg_cleanup_shlibs_required for the package's FreeBSD ELF files."""
    required = set()
    for f in files:
        p = stage + f["path"]
        if f["symlink_target"] is not None:
            continue
        with open(p, "rb") as fh:
            head = fh.read(4)
        if head != b"\x7fELF":
            continue
        e = E.parse(p)
        if e.soname:
            raise PkgError(f"{f['path']} is a shared library; providing shlibs is not supported by this writer")
        if e.osabi != E.ELFOSABI_FREEBSD and e.freebsd_osversion() is None:
            continue  # not a FreeBSD object: only allowed for test packages (see create())
        for n in e.needed:
            if not n.startswith("/") and n.startswith("lib"):
                required.add(n)
    own = {os.path.basename(f["path"]) for f in files}
    return sorted(n for n in required if n not in own)


def manifest(meta, files, dirs, shlibs, flatsize, lua_post_install, lua_pre_deinstall, compact):
    """The manifest object in pkg_emit_object's key order (compact: without files and scripts)."""
    m = {}
    for k in ("name", "origin", "version", "comment", "maintainer", "www", "abi"):
        m[k] = meta[k]
    m["arch"] = arch_to_legacy(meta["abi"])
    m["prefix"] = meta["prefix"]
    m["flatsize"] = flatsize
    m["licenselogic"] = meta.get("licenselogic", "single")
    if meta.get("licenses"):
        m["licenses"] = list(meta["licenses"])
    if meta.get("desc"):
        m["desc"] = urlencode(meta["desc"]).strip()
    if meta.get("deps"):
        raise PkgError("dependencies are not supported by this writer")
    if meta.get("categories"):
        m["categories"] = list(meta["categories"])
    if shlibs:
        m["shlibs_required"] = shlibs
    if meta.get("annotations"):
        m["annotations"] = dict(meta["annotations"])
    if compact:
        return m
    m["files"] = {}
    for f in files:
        attrs = {"sum": f["sum"], "uname": f["uname"], "gname": f["gname"], "perm": perm_str(f["perm"])}
        if f["symlink_target"] is not None:
            attrs["symlink_target"] = f["symlink_target"]
        if f["mtime"] > 0:
            attrs["mtime"] = f["mtime"]
        m["files"][urlencode(f["path"])] = attrs
    if dirs:
        m["directories"] = {urlencode(d["path"]): {"uname": d["uname"], "gname": d["gname"], "perm": perm_str(d["perm"])}
                            for d in dirs}
    lua = {}
    if lua_post_install:
        lua["post-install"] = lua_post_install
    if lua_pre_deinstall:
        lua["pre-deinstall"] = lua_pre_deinstall
    if lua:
        m["lua_scripts"] = lua
    return m


def perm_str(perm):
    """printf("%#4.4o") as pkg_emit_object formats a permission: at least four octal digits,
    and a leading 0 (0755, 0444, 04555, 0000)."""
    s = format(perm, "o").rjust(4, "0")
    return s if s.startswith("0") else "0" + s


def _scan(stage, pl, timestamp):
    """pkg_create_from_dir's first pass: every plist entry lstat-ed, summed, sized and timed."""
    files, dirs, flatsize, seen_inodes = [], [], 0, set()
    for e in sorted(pl.files(), key=lambda e: e.path.encode()):
        p = stage + e.path
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            raise PkgError(f"file '{p}' is missing") from None
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            raise PkgError(f"file '{p}' is not a regular file or symlink")
        if st.st_nlink == 1 or (st.st_dev, st.st_ino) not in seen_inodes:
            flatsize += st.st_size
        seen_inodes.add((st.st_dev, st.st_ino))
        files.append({
            "path": e.path, "uname": e.uname, "gname": e.gname,
            "perm": e.mode or stat.S_IMODE(st.st_mode), "sum": file_sum(p),
            "symlink_target": os.readlink(p) if stat.S_ISLNK(st.st_mode) else None,
            "mtime": timestamp if timestamp is not None else int(st.st_mtime), "size": st.st_size,
        })
    for d in sorted(pl.dirs(), key=lambda e: e.path.encode()):
        p = stage + d.path
        if not os.path.isdir(p) or os.path.islink(p):
            raise PkgError(f"dir '{p}' is {'missing' if not os.path.lexists(p) else 'not a directory'}")
        dirs.append({"path": d.path, "uname": d.uname, "gname": d.gname,
                     "perm": d.mode or stat.S_IMODE(os.lstat(p).st_mode),
                     "mtime": timestamp if timestamp is not None else int(os.lstat(p).st_mtime)})
    return files, dirs, flatsize


def _tarinfo(name, kind, perm, uname, gname, mtime, size=0, linkname="", uid=PKG_UID):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = perm
    ti.uname, ti.gname = uname, gname
    ti.uid = ti.gid = uid
    ti.mtime = mtime
    ti.size = size
    ti.linkname = linkname
    return ti


def create(stage, plist_path, meta, out_dir, timestamp=None, allow_foreign_elf=False, level=6, fmt="txz"):
    """Writes OUT_DIR/NAME-VERSION.pkg from the tree staged under `stage` (the install root).

    `meta` holds the +MANIFEST metadata (name, origin, version, comment, maintainer, www, abi,
    prefix, licenselogic, licenses, categories, desc). `timestamp` is SOURCE_DATE_EPOCH (pkg
    create -t): the mtime of every entry. `level` is the xz preset (pkg create -l; libarchive's
    default is 6). `fmt` is "txz" or "tar" (pkg create -f; both are formats pkg writes and
    reads). Returns the path written.
    """
    pl = P.read(plist_path, meta["prefix"])
    files, dirs, flatsize = _scan(stage, pl, timestamp)
    for f in files:
        if f["symlink_target"] is None and not allow_foreign_elf:
            with open(stage + f["path"], "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    e = E.parse(stage + f["path"])
                    if e.osabi != E.ELFOSABI_FREEBSD or e.freebsd_osversion() is None:
                        raise PkgError(f"{f['path']} is not a FreeBSD binary (OS/ABI {e.osabi}, .note.tag "
                                       f"{e.freebsd_osversion()}); pass --test-contents for a test package")
    shlibs = _shlibs_required(stage, files)
    post, pre = P.sample_scripts(pl)
    full = manifest(meta, files, dirs, shlibs, flatsize, post, pre, compact=False)
    compact = manifest(meta, files, dirs, shlibs, flatsize, post, pre, compact=True)

    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, f"{meta['name']}-{meta['version']}.pkg")
    tmp = out + ".tmp"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, text in (("+COMPACT_MANIFEST", ucl_json(compact)), ("+MANIFEST", ucl_json(full))):
            data = text.encode("utf-8")
            # packing_append_iovec: a cleared entry, 0644 root:wheel, no uid/gid and no time.
            tar.addfile(_tarinfo(name, tarfile.REGTYPE, 0o644, "root", "wheel", 0, len(data), uid=0),
                        io.BytesIO(data))
        for f in files:
            p = stage + f["path"]
            if f["symlink_target"] is not None:
                tar.addfile(_tarinfo(f["path"], tarfile.SYMTYPE, f["perm"], f["uname"], f["gname"],
                                     f["mtime"], linkname=f["symlink_target"]))
            else:
                with open(p, "rb") as fh:
                    tar.addfile(_tarinfo(f["path"], tarfile.REGTYPE, f["perm"], f["uname"], f["gname"],
                                         f["mtime"], f["size"]), fh)
        for d in dirs:
            tar.addfile(_tarinfo(d["path"], tarfile.DIRTYPE, d["perm"], d["uname"], d["gname"], d["mtime"]))
    if fmt not in ("txz", "tar"):
        raise PkgError(f"format {fmt!r}: this writer makes txz (default) or tar")
    with open(tmp, "wb") as fh:
        if fmt == "tar":
            fh.write(raw.getvalue())
        else:
            fh.write(lzma.compress(raw.getvalue(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=level))
    os.replace(tmp, out)
    return out


def read_meta(path, version, descr_path):
    """The +MANIFEST metadata: pkg/MANIFEST.in (JSON, which UCL reads too) with @VERSION@
    replaced, and desc from the port's pkg-descr, as the ports framework fills it."""
    with open(path, encoding="utf-8") as f:
        meta = json.loads(f.read().replace("@VERSION@", version))
    with open(descr_path, encoding="utf-8") as f:
        meta["desc"] = f.read()
    return meta
