//! Progress of long operations, on stderr: one line when an operation
//! changes status, and a reminder line for every operation running longer
//! than a second that has not printed for a while.

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Progress {
    inner: Arc<Mutex<Vec<Task>>>,
    enabled: bool,
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
                print_line(&t.label, &t.status, running);
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
            print_line(&t.label, &t.status, running);
            t.printed = Some(Instant::now());
        }
        t.done |= done;
    }
}

fn print_line(label: &str, status: &str, elapsed: Duration) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "  [{:>6.1}s] {label}  {status}", elapsed.as_secs_f64());
}
