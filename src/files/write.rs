//! Writing a whole file to a path the user named (`--out`).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path`.
///
/// A regular file (or a path that does not exist yet) is replaced only once
/// the new text is complete: written beside it, then renamed over it. A link
/// to one keeps being a link: its target is replaced. Anything else (a
/// device such as `/dev/null`, a FIFO, `/dev/stdout` on a pipe) is written
/// through, never renamed over: a rename would put a regular file where the
/// device node was. A FIFO that nobody reads is an error, not a wait for
/// good. Every failed write is an error, `ENOSPC` of `/dev/full` included.
pub fn write_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a folder; name a file in it",
        )),
        Ok(metadata) if !metadata.is_file() => write_through(path, bytes),
        Ok(_) => replace(&std::fs::canonicalize(path)?, bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => replace(path, bytes),
        Err(error) => Err(error),
    }
}

/// Whether `a` and `b` are the same file (through links, and hard links).
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => same_inode(&a, &b),
        _ => false,
    }
}

#[cfg(unix)]
fn same_inode(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_inode(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

/// Writes beside `path` and renames over it.
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let partial = partial_name(path);
    let written = File::create(&partial).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    let renamed = written.and_then(|()| std::fs::rename(&partial, path));
    if renamed.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    renamed
}

/// `.NAME.partial` beside `path`: hidden, so no command reads it meanwhile.
fn partial_name(path: &Path) -> PathBuf {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".to_string());
    path.with_file_name(format!(".{file_name}.partial"))
}

#[cfg(unix)]
fn write_through(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    // Without O_NONBLOCK, opening a FIFO for writing waits for a reader
    // forever; with it, there being none is ENXIO.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            Some(code) if code == rustix::io::Errno::NXIO.raw_os_error() => io::Error::new(
                io::ErrorKind::BrokenPipe,
                "it is a FIFO (named pipe) that nothing reads",
            ),
            _ => error,
        })?;
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - rustix::fs::OFlags::NONBLOCK)?;
    file.write_all(bytes)?;
    file.flush()
}

#[cfg(not(unix))]
fn write_through(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.write_all(bytes)?;
    file.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_replaced_and_a_link_to_one_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("plan.json");
        std::fs::write(&target, "old").unwrap();
        write_whole(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        #[cfg(unix)]
        {
            let link = dir.path().join("link.json");
            std::os::unix::fs::symlink(&target, &link).unwrap();
            write_whole(&link, b"newer").unwrap();
            assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
            assert_eq!(std::fs::read_to_string(&target).unwrap(), "newer");
            assert!(same_file(&link, &target));
        }
        let entries = std::fs::read_dir(dir.path()).unwrap().count();
        assert!(entries <= 2, "no partial file is left");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_through_and_its_errors_are_reported() {
        write_whole(Path::new("/dev/null"), b"plan").unwrap();
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
        if Path::new("/dev/full").exists() {
            let error = write_whole(Path::new("/dev/full"), b"plan").unwrap_err();
            assert_eq!(error.raw_os_error(), Some(28), "{error}");
        }
    }
}
