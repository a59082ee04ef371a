//! Reading a whole file that may be anything, within a cap.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::{kind, size};

/// The bytes of the file at `path`, refusing more than `limit` of them
/// (see [`open_capped`]).
pub fn read_capped(path: &Path, limit: u64, pipes: bool) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_capped(path, limit, pipes)?.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The file at `path`, to be read to its end: a read past `limit` bytes is
/// an error.
///
/// Opening never blocks: a FIFO without a writer would otherwise hold
/// `open()` for good. Only a regular file is read, or, when `pipes` is set,
/// a pipe (`--token-file <(…)`, `/dev/stdin` from `echo`), whose writer is
/// waited for from then on; a pipe without one reads as empty. A device
/// (`/dev/zero`), a folder or a socket is refused, and so is a regular
/// file over the cap before any of it is read.
pub fn open_capped(path: &Path, limit: u64, pipes: bool) -> io::Result<Capped> {
    let file = open(path)?;
    let metadata = file.metadata()?;
    let file_type = metadata.file_type();
    if file_type.is_file() {
        if metadata.len() > limit {
            return Err(too_large(limit));
        }
    } else if pipes && is_fifo(file_type) {
        wait_for_writer(&file)?;
    } else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", kind(file_type)),
        ));
    }
    Ok(Capped {
        file,
        left: limit,
        limit,
    })
}

/// A file that may not be read beyond its cap (it may grow after the check).
#[derive(Debug)]
pub struct Capped {
    file: File,
    left: u64,
    limit: u64,
}

impl Read for Capped {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte beyond the cap is asked for, to tell "exactly the cap"
        // from "more".
        let room = usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX);
        let take = buf.len().min(room);
        let read = self.file.read(&mut buf[..take])?;
        if read as u64 > self.left {
            return Err(too_large(self.limit));
        }
        self.left -= read as u64;
        Ok(read)
    }
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::FileTooLarge,
        format!("it holds more than {}", size(limit)),
    )
}

#[cfg(unix)]
fn open(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> io::Result<File> {
    File::open(path)
}

#[cfg(unix)]
fn is_fifo(file_type: std::fs::FileType) -> bool {
    std::os::unix::fs::FileTypeExt::is_fifo(&file_type)
}

#[cfg(not(unix))]
fn is_fifo(_: std::fs::FileType) -> bool {
    false
}

/// From here on, reads wait for the pipe's writer.
#[cfg(unix)]
fn wait_for_writer(file: &File) -> io::Result<()> {
    let flags = rustix::fs::fcntl_getfl(file)?;
    rustix::fs::fcntl_setfl(file, flags - rustix::fs::OFlags::NONBLOCK)?;
    Ok(())
}

#[cfg(not(unix))]
fn wait_for_writer(_: &File) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_cap_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b' '; 2048]).unwrap();
        let error = read_capped(&path, 1024, false).unwrap_err();
        assert_eq!(error.to_string(), "it holds more than 1 KiB");
        assert_eq!(read_capped(&path, 2048, false).unwrap().len(), 2048);
    }

    #[cfg(unix)]
    #[test]
    fn a_device_or_a_folder_is_refused() {
        let error = read_capped(Path::new("/dev/zero"), 1024, true).unwrap_err();
        assert_eq!(
            error.to_string(),
            "it is a character device, not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        let error = read_capped(dir.path(), 1024, true).unwrap_err();
        assert!(error.to_string().contains("a folder"), "{error}");
    }
}
