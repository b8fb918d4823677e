//! What a test starts dies with the test process, however that process ends: a panic or a
//! normal end drops the fixture (which stops it), but `process::exit`, a CI timeout's
//! SIGKILL or a crash run no destructor.
//!
//! - A `prometheus` binary gets a parent-death signal (Linux's `PR_SET_PDEATHSIG`): the
//!   kernel kills it when its parent goes. The parent is the thread that spawned it, so every
//!   child is spawned from one thread that lives as long as the process.
//! - Containers carry a label naming this process, and a reaper, started once per process
//!   in a session of its own (so a kill of the test's process group spares it), waits on a
//!   pipe that only this process holds: when the process is gone, however it went, the pipe
//!   closes and the reaper removes the labelled containers and this process's temporary
//!   directories, as testcontainers' reaper does.

use std::{
    io,
    process::{Child, ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock, PoisonError, mpsc},
};

/// The label the Docker backend puts on its containers.
pub(crate) const OWNER_LABEL: &str = "promgen-test.owner";

type Spawn = (Command, mpsc::Sender<io::Result<Child>>);

/// Spawns `command` so that it is killed when this process dies (on Linux; elsewhere it is
/// a plain spawn, and a killed test can leave it running).
pub(crate) fn spawn_tied(command: Command) -> io::Result<Child> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Spawn>>> = OnceLock::new();
    let spawner = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Spawn>();
        std::thread::Builder::new()
            .name("promgen-test-spawner".into())
            .spawn(move || {
                // The process's own sender never drops: this thread lives as long as it.
                for (mut command, reply) in rx {
                    tie_to_this_thread(&mut command);
                    let _ = reply.send(command.spawn());
                }
            })
            .expect("starting the promgen-test spawner thread");
        Mutex::new(tx)
    });
    let (reply, answer) = mpsc::channel();
    spawner
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .send((command, reply))
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    answer
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}

#[cfg(target_os = "linux")]
fn tie_to_this_thread(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe calls (prctl, getppid, _exit) between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died before the signal was asked for.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn tie_to_this_thread(_: &mut Command) {}

/// This process's owner label value: its pid and start time, unique on the machine.
pub(crate) fn owner() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(|| {
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("{}-{started}", std::process::id())
    })
}

/// Starts the reaper (once per process): after this process ends it removes the
/// containers labelled with [`owner`] and the temporary directories of this process.
pub(crate) fn start_reaper() {
    static REAPER: OnceLock<Option<Mutex<ChildStdin>>> = OnceLock::new();
    REAPER.get_or_init(|| {
        let script = r#"cat >/dev/null
sleep 1
ids=$(docker ps -aq --filter "label=$1=$2" 2>/dev/null)
[ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1
rm -rf "$3"/promgen-test-"$4"-*"#;
        let mut command = Command::new("sh");
        command
            .args(["-c", script, "promgen-test-reaper", OWNER_LABEL, owner()])
            .arg(std::env::temp_dir())
            .arg(std::process::id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        new_session(&mut command);
        // Without a reaper the fixture still works; a killed test may leave things behind.
        let mut child = command.spawn().ok()?;
        child.stdin.take().map(Mutex::new)
    });
}

#[cfg(unix)]
fn new_session(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn new_session(_: &mut Command) {}
