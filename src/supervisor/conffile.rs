//! Reading a configuration file as text, bounded: a regular file of at most
//! [`MAX_CONFIG_BYTES`], or a clear error at once.

use std::path::Path;

/// Largest configuration file read (bytes). A supervisord.conf is a few KiB; this
/// bounds what a wrong `-c` (a log, a disk image) costs.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Reads a configuration file as text (`-c FILE`, the search path, the daemon's own
/// supervisord.conf), refusing anything else quickly and with a clear error: only a
/// regular file (checked on the opened file, so no swap in between; a FIFO, a device
/// such as `/dev/zero` or `/dev/stdin`, a directory are refused without reading or
/// blocking), at most [`MAX_CONFIG_BYTES`] bytes, in UTF-8.
///
/// Errors are `std::io::Error`s whose text says what was wrong (without the path, for
/// the caller to add): not found, permission denied, "not a regular file (a
/// character device)", "larger than 1 MiB…", "not UTF-8 text".
pub fn read_config_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    // O_NONBLOCK: opening a FIFO must not wait for a writer. It changes nothing for
    // the read of a regular file, the only kind read.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() {
            "a character device"
        } else if kind.is_block_device() {
            "a block device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "an unknown kind of file"
        };
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("not a regular file ({what}); name a supervisord.conf"),
        ));
    }
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::new(
            ErrorKind::InvalidData,
            format!(
                "larger than {} MiB; a supervisord.conf is much smaller, is this the right file?",
                MAX_CONFIG_BYTES >> 20
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_up_to_the_cap_are_read() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status()?.success());
        let big = dir.path().join("big.conf");
        std::fs::write(&big, vec![b'#'; 2 * 1024 * 1024])?;
        let at_cap = dir.path().join("at_cap.conf");
        std::fs::write(&at_cap, vec![b'#'; MAX_CONFIG_BYTES as usize])?;
        for (path, why) in [
            (Path::new("/dev/zero"), "a character device"),
            (fifo.as_path(), "a FIFO"),
            (dir.path(), "a directory"),
            (big.as_path(), "larger than 1 MiB"),
        ] {
            let e = read_config_file(path).unwrap_err().to_string();
            assert!(e.contains(why), "{}: {e}", path.display());
        }
        assert_eq!(read_config_file(&at_cap)?.len(), MAX_CONFIG_BYTES as usize);
        Ok(())
    }
}
