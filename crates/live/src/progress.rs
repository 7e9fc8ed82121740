//! Progress of long operations, on stderr: one line when an operation
//! changes status, and a reminder line for every operation running longer
//! than a second that has not printed for a while.
//!
//! Each line is stamped with the time since the run began, so the stamps
//! only ever grow however many operations run at once; the operation's own
//! duration follows its status.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Progress {
    inner: Arc<Mutex<Vec<Task>>>,
    enabled: bool,
    /// When the run began: every line's stamp.
    origin: Instant,
    /// Lines kept instead of printed (tests).
    recorded: Option<Arc<Mutex<Vec<String>>>>,
}

struct Task {
    label: String,
    status: String,
    started: Instant,
    printed: Option<Instant>,
    done: bool,
}

/// One operation being followed.
#[derive(Clone)]
pub struct TaskHandle {
    progress: Progress,
    index: usize,
}

/// Operations quicker than this print nothing until they finish.
const QUIET: Duration = Duration::from_secs(1);
/// A running operation prints again after this long without news.
const REMIND: Duration = Duration::from_secs(5);

impl Progress {
    pub fn new(enabled: bool) -> Self {
        Self {
            inner: Arc::default(),
            enabled,
            origin: Instant::now(),
            recorded: None,
        }
    }

    /// A progress that keeps its lines instead of printing them.
    pub fn recording() -> (Self, Arc<Mutex<Vec<String>>>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let progress = Self {
            recorded: Some(lines.clone()),
            ..Self::new(true)
        };
        (progress, lines)
    }

    fn print_line(&self, label: &str, status: &str, running: Duration, done: bool) {
        let line = format!(
            "  [{:>6.1}s] {label}  {status} ({} {:.1}s)",
            self.origin.elapsed().as_secs_f64(),
            if done { "took" } else { "running" },
            running.as_secs_f64()
        );
        match &self.recorded {
            Some(lines) => lines
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(line),
            None => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{line}");
            }
        }
    }

    /// Follows an operation: `label` names it (stack, account, region).
    pub fn start(&self, label: impl Into<String>, status: impl Into<String>) -> TaskHandle {
        let mut tasks = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tasks.push(Task {
            label: label.into(),
            status: status.into(),
            started: Instant::now(),
            printed: None,
            done: false,
        });
        TaskHandle {
            progress: self.clone(),
            index: tasks.len() - 1,
        }
    }

    /// Prints reminders for operations running longer than a second; call
    /// about once a second.
    pub fn tick(&self) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let mut tasks = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for t in tasks.iter_mut().filter(|t| !t.done) {
            let running = now.duration_since(t.started);
            let due = match t.printed {
                None => running >= QUIET,
                Some(at) => now.duration_since(at) >= REMIND,
            };
            if due {
                self.print_line(&t.label, &t.status, running, false);
                t.printed = Some(now);
            }
        }
    }

    /// Spawns a ticker on the current runtime; it ends when `stop` is dropped.
    pub fn spawn_ticker(&self) -> tokio::sync::oneshot::Sender<()> {
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let progress = self.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(500));
            loop {
                tokio::select! {
                    _ = interval.tick() => progress.tick(),
                    _ = &mut stopped => break,
                }
            }
        });
        stop
    }
}

impl TaskHandle {
    /// A new status; printed when the operation has run over a second.
    pub fn status(&self, status: &str) {
        self.update(status, false);
    }

    /// The final status, always printed.
    pub fn finish(&self, status: &str) {
        self.update(status, true);
    }

    pub fn elapsed(&self) -> Duration {
        let tasks = self
            .progress
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tasks
            .get(self.index)
            .map_or(Duration::ZERO, |t| t.started.elapsed())
    }

    fn update(&self, status: &str, done: bool) {
        let enabled = self.progress.enabled;
        let mut tasks = self
            .progress
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(t) = tasks.get_mut(self.index) else {
            return;
        };
        let changed = t.status != status;
        t.status = status.to_owned();
        let running = t.started.elapsed();
        if enabled && (done || (changed && running >= QUIET)) {
            self.progress.print_line(&t.label, &t.status, running, done);
            t.printed = Some(Instant::now());
        }
        t.done |= done;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A long operation's line used to carry its own (large) time, the next
    /// short one's its own (small) time: the clock went backwards.
    #[test]
    fn stamps_never_go_backwards_and_each_line_says_its_own_duration() {
        let (progress, lines) = Progress::recording();
        let long = progress.start("stack a", "CREATING");
        std::thread::sleep(Duration::from_millis(120));
        let short = progress.start("stack b", "CREATING");
        short.finish("CREATE_COMPLETE");
        long.finish("CREATE_COMPLETE");
        let lines = lines.lock().unwrap().clone();
        assert_eq!(lines.len(), 2, "{lines:?}");
        let stamp = |line: &str| -> f64 {
            line.trim_start()
                .trim_start_matches('[')
                .split('s')
                .next()
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        assert!(stamp(&lines[0]) <= stamp(&lines[1]), "{lines:?}");
        assert!(
            lines[0].contains("stack b  CREATE_COMPLETE (took 0.0s)"),
            "{lines:?}"
        );
        assert!(
            lines[1].contains("stack a  CREATE_COMPLETE (took 0.1s)"),
            "{lines:?}"
        );
    }
}
