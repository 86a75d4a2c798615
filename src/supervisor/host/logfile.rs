//! Log files read from this host's disk, when the daemon runs here: the rotated
//! `LOG.1` backup a follow needs after supervisord's own rotation.

use std::time::Duration;

/// Largest read while following (bytes).
const FOLLOW_CHUNK: u64 = 1024 * 1024;

/// The bytes of a just-rotated log past `cursor`, read from its `.1` backup: only
/// when that backup was written since the last poll (so it is the file we were
/// reading, not an older one) and is at least `cursor` bytes long.
pub(crate) fn rotated_rest(log: &std::path::Path, cursor: u64, since: std::time::SystemTime) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut backup = log.as_os_str().to_owned();
    backup.push(".1");
    let mut f = std::fs::File::open(&backup).ok()?;
    let meta = f.metadata().ok()?;
    let fresh = meta.modified().ok()? + Duration::from_secs(1) >= since;
    if !fresh || meta.len() < cursor {
        return None;
    }
    f.seek(SeekFrom::Start(cursor)).ok()?;
    let mut rest = Vec::new();
    f.take(FOLLOW_CHUNK * 64).read_to_end(&mut rest).ok()?;
    Some(rest)
}
