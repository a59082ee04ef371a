//! Files named on the command line that zeeg reads or writes whole: the
//! token file, a saved plan (`apply --plan`), a plan's `--out`. A path may
//! name anything: a FIFO nobody writes to, `/dev/zero`, a gigabyte of white
//! space, `/dev/full`. So a read never blocks in `open()` and stops at a
//! cap, and a write never renames over what is not a regular file and
//! reports every error. The errors are `std::io::Error`s that say what was
//! wrong; each caller names the file and says what it was for.

mod read;
mod write;

pub use read::{Capped, open_capped, read_capped};
pub use write::{same_file, write_whole};

/// A file type, as a message names it.
#[cfg(unix)]
fn kind(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn kind(file_type: std::fs::FileType) -> &'static str {
    if file_type.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// `16 KiB`, `256 MiB`.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}
