//! Diagnostics through `tracing`, on stderr: `-v`, `-vv` and `VIMAGE_LOG` choose what is shown.
//!
//! The levels keep the meaning `-v` always had: `-v` (info) prints each FreeBSD command as it
//! runs (`+ ifconfig epair create`), `-vv` (debug) also why one failed and the run's other
//! details, `-vvv` everything (trace). `VIMAGE_LOG` takes a tracing filter instead
//! (`debug`, `vimage::exec=trace,info`) and wins over `-v`. Without either only warnings show.
//! Each run is one span, `run{verb=… jail=…}`, named in every diagnostic line under it.
//!
//! The subscriber is installed per run and per thread (a guard), writing through the run's
//! [`Out`], so an in-process run (tests, the fuzz harness) captures its diagnostics like its
//! other stderr lines, and parallel runs never mix. User-facing result lines are not
//! diagnostics: they stay on stdout through [`Out`] (and stay quiet with `-q`).

use super::Out;
use std::cell::RefCell;
use std::fmt;
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The environment variable holding a tracing filter that replaces `-v`'s level.
pub const LOG_ENV: &str = "VIMAGE_LOG";

/// The target of the `+ command` lines `-v` prints: shown as they always were, bare.
pub const CMD_TARGET: &str = "vimage::cmd";

/// The level `-v` given `verbose` times means.
fn level(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    }
}

/// The filter for a run: `VIMAGE_LOG` when set and valid, else `-v`'s level. An invalid
/// `VIMAGE_LOG` is reported (the second value) and `-v`'s level used.
pub fn filter(verbose: u8, env: Option<&str>) -> (EnvFilter, Option<String>) {
    match env.map(str::trim).filter(|s| !s.is_empty()) {
        Some(spec) => match EnvFilter::try_new(spec) {
            Ok(f) => (f, None),
            Err(e) => (
                EnvFilter::new(level(verbose)),
                Some(format!("vimage: warning: {LOG_ENV}={spec:?} is not a tracing filter ({e}); ignored")),
            ),
        },
        None => (EnvFilter::new(level(verbose)), None),
    }
}

thread_local! {
    /// Where this thread's diagnostics go: the current run's output.
    static TARGET: RefCell<Option<Out>> = const { RefCell::new(None) };
}

/// Keeps a run's subscriber installed; dropping it restores what was there before.
pub struct Guard {
    _default: tracing::subscriber::DefaultGuard,
    prev: Option<Out>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        TARGET.with(|t| *t.borrow_mut() = prev);
    }
}

/// Installs this thread's diagnostics for one run, written to `out`'s stderr.
pub fn install(verbose: u8, env: Option<&str>, out: &Out) -> Guard {
    let (filter, warning) = filter(verbose, env);
    if let Some(w) = warning {
        out.err_line(w);
    }
    let prev = TARGET.with(|t| t.borrow_mut().replace(out.clone()));
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| Line(Vec::new()))
        .with_ansi(false)
        .event_format(Format)
        .finish();
    Guard { _default: tracing::subscriber::set_default(subscriber), prev }
}

/// One formatted event, handed to the run's [`Out`] when done.
struct Line(Vec<u8>);

impl std::io::Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let text = text.strip_suffix('\n').unwrap_or(&text);
        if text.is_empty() {
            return;
        }
        TARGET.with(|t| match &*t.borrow() {
            Some(out) => out.err_line(text),
            None => eprintln!("{text}"),
        });
    }
}

/// `+ command` lines bare; everything else `vimage: LEVEL: run{verb=… jail=…}: message`.
struct Format;

impl<S, N> FormatEvent<S, N> for Format
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut w: Writer<'_>, event: &Event<'_>) -> fmt::Result {
        let meta = event.metadata();
        if meta.target() != CMD_TARGET {
            write!(w, "vimage: {}: ", meta.level().as_str().to_ascii_lowercase())?;
            if let Some(scope) = ctx.event_scope() {
                for span in scope.from_root() {
                    w.write_str(span.name())?;
                    if let Some(f) = span.extensions().get::<FormattedFields<N>>()
                        && !f.is_empty()
                    {
                        write!(w, "{{{f}}}")?;
                    }
                    w.write_str(": ")?;
                }
            }
        }
        ctx.format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(verbose: u8, env: Option<&str>) -> String {
        let out = Out::capture();
        {
            let _g = install(verbose, env, &out);
            let span = tracing::error_span!("run", verb = %"bridge", jail = %"web1");
            let _e = span.enter();
            tracing::info!(target: CMD_TARGET, "+ ifconfig epair create");
            tracing::debug!(target: CMD_TARGET, "  exit 1: boom");
            tracing::debug!(steps = 3, "planned");
            tracing::warn!("odd");
        }
        tracing::warn!("after the guard: nowhere");
        out.stderr()
    }

    #[test]
    fn v_shows_commands_vv_their_failures_and_details() {
        assert_eq!(lines(0, None), "vimage: warn: run{verb=bridge jail=web1}: odd\n");
        assert_eq!(lines(1, None), "+ ifconfig epair create\nvimage: warn: run{verb=bridge jail=web1}: odd\n");
        let vv = lines(2, None);
        assert!(vv.contains("  exit 1: boom\n") && vv.contains("}: planned steps=3\n"), "{vv}");
    }

    #[test]
    fn vimage_log_wins_and_a_bad_one_is_reported() {
        assert!(lines(0, Some("debug")).contains("planned"));
        assert_eq!(lines(2, Some("error")), "");
        let bad = lines(1, Some("=[,"));
        assert!(bad.starts_with("vimage: warning: VIMAGE_LOG=") && bad.contains("+ ifconfig"), "{bad}");
    }
}
