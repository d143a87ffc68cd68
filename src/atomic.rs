//! Atomic file writes: readers see the old file or the new one, never half of
//! either, and a failed write leaves the old file untouched. Folders of
//! several files written as one unit are [`crate::folder`]'s.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` through a temporary file in the same directory,
/// flushed to disk and then renamed over `path`. A symlink is followed (its
/// target is rewritten); a read-only file is refused, as a plain write would be.
/// Errors name the path and say what went wrong, never the temporary file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (file, target) = stage(path, bytes).map_err(|e| explain(path, e))?;
    file.persist(&target).map_err(|e| explain(path, e.error))?;
    Ok(())
}

/// A flushed temporary file holding `bytes`, and the file it is to replace.
fn stage(path: &Path, bytes: &[u8]) -> std::io::Result<(tempfile::NamedTempFile, PathBuf)> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    let existing = std::fs::metadata(&target).ok();
    if let Some(meta) = &existing {
        if meta.is_dir() {
            return Err(std::io::Error::new(
                ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        if meta.permissions().readonly() {
            return Err(std::io::Error::new(
                ErrorKind::PermissionDenied,
                "the file is read-only",
            ));
        }
    }
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".sgperms-").suffix(".tmp");
    // A temporary file is private (0600); a new file gets the usual mode
    // (0666 less umask, which the kernel applies at creation).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir)?;
    if let Some(meta) = &existing {
        // An existing file keeps its mode exactly (set_permissions ignores umask).
        file.as_file().set_permissions(meta.permissions())?;
    }
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    Ok((file, target))
}

/// "cannot write perms.csv: permission denied", without OS error numbers or
/// temporary file names.
fn explain(path: &Path, err: std::io::Error) -> std::io::Error {
    let text = err.to_string();
    // OS errors end "(os error 2)", tempfile's add "at path <temporary file>".
    let why = text
        .find(" (os error ")
        .map_or(text.as_str(), |at| &text[..at]);
    std::io::Error::new(
        err.kind(),
        format!("cannot write {}: {why}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("perms.csv");
        std::fs::write(&path, "old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_ordinary_permissions_and_old_ones_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.csv");
        write_atomic(&fresh, b"x").unwrap();
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode & 0o044,
            0o044,
            "readable by group and others under a usual umask: {mode:o}"
        );
        let kept = dir.path().join("kept.csv");
        std::fs::write(&kept, "old").unwrap();
        std::fs::set_permissions(&kept, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&kept, b"new").unwrap();
        assert_eq!(
            std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_and_read_only_files_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.csv");
        let link = dir.path().join("link.csv");
        std::fs::write(&target, "old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o444)).unwrap();
        let err = write_atomic(&target, b"newer").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("cannot write {}: the file is read-only", target.display())
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let err = write_atomic(dir.path(), b"x").unwrap_err();
        assert!(err.to_string().ends_with(": is a directory"), "{err}");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir").join("perms.csv");
        let err = write_atomic(&missing, b"new").unwrap_err();
        assert!(
            err.to_string()
                .ends_with("perms.csv: No such file or directory"),
            "{err}"
        );
        assert!(!err.to_string().contains(".sgperms-"), "{err}");
        assert!(!missing.exists());
    }
}
