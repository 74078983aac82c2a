//! Runs the real FreeBSD commands.

use super::{Cmd, Host, Output, SpawnError};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Spawns FreeBSD's own commands, by absolute path or from a stand-in directory.
///
/// Nothing is run through a shell: the argv goes to execve(2) as built. `LC_ALL=C` keeps the
/// output in the format the parsers expect.
#[derive(Debug, Clone, Default)]
pub struct FreeBsdHost {
    cmd_dir: Option<PathBuf>,
    spawned: u64,
}

impl FreeBsdHost {
    /// `cmd_dir` is `VIMAGE_CMD_DIR`: when set, `ifconfig` runs as `$VIMAGE_CMD_DIR/ifconfig`
    /// instead of `/sbin/ifconfig` (how the end-to-end tests put `fbsd-sim` in place).
    pub fn new(cmd_dir: Option<PathBuf>) -> FreeBsdHost {
        FreeBsdHost { cmd_dir, spawned: 0 }
    }

    /// How many processes this host has started; the benchmarks count invocations with it.
    pub fn spawned(&self) -> u64 {
        self.spawned
    }

    fn path_of(&self, cmd: &Cmd) -> PathBuf {
        match &self.cmd_dir {
            Some(dir) => dir.join(cmd.program.name()),
            None => PathBuf::from(cmd.program.absolute_path()),
        }
    }
}

impl Host for FreeBsdHost {
    fn run(&mut self, cmd: &Cmd) -> Result<Output, SpawnError> {
        let path = self.path_of(cmd);
        self.spawned += 1;
        let spawn_err = |e: std::io::Error| SpawnError { path: path.display().to_string(), reason: e.to_string() };
        let mut c = Command::new(&path);
        c.args(&cmd.args).env("LC_ALL", "C").stdout(Stdio::piped()).stderr(Stdio::piped());
        // Its own process group: a ^C at the terminal reaches vimage, which finishes the step
        // in flight and rolls back, instead of killing ifconfig half-way.
        c.process_group(0);
        let out = match &cmd.stdin {
            None => c.stdin(Stdio::null()).output().map_err(spawn_err)?,
            Some(text) => {
                let mut child = c.stdin(Stdio::piped()).spawn().map_err(spawn_err)?;
                // Written from a thread, so a child that fills its stdout before reading all
                // of stdin cannot deadlock us; dropping the pipe is its EOF.
                let writer = child.stdin.take().map(|mut w| {
                    let text = text.clone();
                    std::thread::spawn(move || {
                        use std::io::Write;
                        let _ = w.write_all(text.as_bytes());
                    })
                });
                let out = child.wait_with_output().map_err(spawn_err)?;
                if let Some(t) = writer {
                    let _ = t.join();
                }
                out
            }
        };
        let code = match out.status.code() {
            Some(c) => c,
            None => {
                return Err(SpawnError {
                    path: path.display().to_string(),
                    reason: format!("terminated by {}", out.status),
                });
            }
        };
        Ok(Output {
            code,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}
