//! Paths inside a jail's root, as the jail sees them.
//!
//! Shared by vimage (which reads a jail's `/bin/sh` to tell its userland) and the simulator
//! (whose `jexec` finds a jail's programs the same way), so both follow links alike.

use std::path::{Path, PathBuf};

/// symlink(7)'s limit on links followed in one lookup (`MAXSYMLINKS`, sys/sys/param.h).
const MAXSYMLINKS: u32 = 32;

/// The file that `inside` (an absolute path as a process in the jail sees it) names, under
/// the jail's root directory `root` on this host: each symbolic link on the way is followed
/// as the jail would follow it, relative to `root` (an absolute target starts again at the
/// jail's root, `..` never climbs above it), so a jail's `/bin/sh -> /usr/bin/dash` or
/// `../usr/bin/dash` is read from the jail and never from the host. Components that do not
/// exist are kept as they are (opening the result then fails with `NotFound`); more than
/// [`MAXSYMLINKS`] links is `ELOOP`'s "too many levels of symbolic links".
pub fn resolve_in_root(root: &Path, inside: &str) -> std::io::Result<PathBuf> {
    use std::collections::VecDeque;
    use std::ffi::OsString;
    use std::path::Component;
    let mut pending: VecDeque<OsString> = Path::new(inside)
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect();
    let mut done: Vec<OsString> = Vec::new();
    let mut links = 0;
    while let Some(c) = pending.pop_front() {
        if c == ".." {
            done.pop();
            continue;
        }
        let here: PathBuf = done.iter().fold(root.to_path_buf(), |p, d| p.join(d)).join(&c);
        match std::fs::symlink_metadata(&here) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > MAXSYMLINKS {
                    return Err(std::io::Error::other(format!(
                        "{}: too many levels of symbolic links",
                        here.display()
                    )));
                }
                let target = std::fs::read_link(&here)?;
                if target.is_absolute() {
                    done.clear();
                }
                for t in target.components().rev() {
                    match t {
                        Component::Normal(n) => pending.push_front(n.to_os_string()),
                        Component::ParentDir => pending.push_front(OsString::from("..")),
                        _ => {}
                    }
                }
            }
            _ => done.push(c),
        }
    }
    Ok(done.iter().fold(root.to_path_buf(), |p, d| p.join(d)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_followed_inside_the_jail_root_and_never_out_of_it() {
        use std::os::unix::fs::symlink;
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("jail");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("usr/bin")).unwrap();
        std::fs::write(root.join("usr/bin/dash"), b"dash").unwrap();
        // A decoy outside the jail with the same name the absolute link names.
        std::fs::create_dir_all(t.path().join("usr/bin")).unwrap();
        std::fs::write(t.path().join("usr/bin/dash"), b"host").unwrap();
        symlink("/usr/bin/dash", root.join("bin/sh")).unwrap();
        let p = resolve_in_root(&root, "/bin/sh").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"dash");
        // Relative, with `..` past the jail's root: clamped at the root as the kernel does.
        std::fs::remove_file(root.join("bin/sh")).unwrap();
        symlink("../../../../usr/bin/dash", root.join("bin/sh")).unwrap();
        assert_eq!(std::fs::read(resolve_in_root(&root, "/bin/sh").unwrap()).unwrap(), b"dash");
        // Through a linked directory (merged /usr: /bin -> usr/bin).
        std::fs::remove_file(root.join("bin/sh")).unwrap();
        std::fs::remove_dir(root.join("bin")).unwrap();
        std::fs::write(root.join("usr/bin/sh"), b"sh").unwrap();
        symlink("usr/bin", root.join("bin")).unwrap();
        assert_eq!(std::fs::read(resolve_in_root(&root, "/bin/sh").unwrap()).unwrap(), b"sh");
        // A loop is an error, not a hang.
        symlink("loop", root.join("loop")).unwrap();
        assert!(resolve_in_root(&root, "/loop").unwrap_err().to_string().contains("too many levels"));
        // A missing file resolves to a path that does not exist.
        assert!(!resolve_in_root(&root, "/nosuch/sh").unwrap().exists());
    }
}
