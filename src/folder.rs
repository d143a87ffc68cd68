//! A managed folder (a snapshot, a report site) written as one unit.
//!
//! A folder of several files is only a record if it is never seen half new,
//! half old. Renaming files one at a time cannot give that on its own, so a
//! write goes through a journal:
//!
//! 1. take the folder's lock (`.sgperms.lock`, an advisory `flock`: the kernel
//!    drops it when the holder dies, so a killed run never blocks the next);
//! 2. roll back any interrupted write the journal records;
//! 3. stage every new file beside its target (`.sgperms-new-NAME`, flushed) and
//!    keep a hard link to every file it replaces or removes (`.sgperms-old-NAME`);
//! 4. write the journal (`.sgperms-journal`) naming them, then rename the new
//!    files into place and remove the files the unit removes;
//! 5. remove the journal (the commit point), then the backups.
//!
//! A run killed anywhere in 4 leaves the journal: the next writer or reader
//! takes the lock and puts every backup back, so the folder returns to the
//! previous set. A rename that fails in 4 does the same at once. Readers hold
//! a shared lock while they read, so they never read during a write.
//!
//! Nothing inside the folder is written through a symlink: a name that is a
//! link is refused, and the lock and staged files are opened without
//! following links. The folder itself may be a link.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The lock file every sgperms process takes before touching the folder.
pub const LOCK: &str = ".sgperms.lock";
/// The journal of a write in progress; present only while files are replaced.
pub const JOURNAL: &str = ".sgperms-journal";
/// Every file sgperms keeps in a managed folder for itself starts with this.
pub const PREFIX: &str = ".sgperms-";

/// Why a managed folder could not be read or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum FolderError {
    /// Another process holds the folder's lock and did not let go in time.
    Busy {
        /// The folder.
        dir: PathBuf,
        /// What the holder wrote into the lock file (pid, host, command, time).
        holder: String,
        /// How long this process waited.
        waited: Duration,
    },
    /// A name inside the folder is a symbolic link; sgperms never writes through one.
    Symlink {
        /// The link.
        path: PathBuf,
    },
    /// A name that is not a plain file name, or one sgperms keeps for itself.
    BadName {
        /// The name given.
        name: String,
    },
    /// A file cannot be replaced (a directory, a read-only file).
    Refused {
        /// The file.
        path: PathBuf,
        /// Why.
        why: &'static str,
    },
    /// A file operation failed; `rolled_back` says the previous files are back.
    Io {
        /// The file or folder the operation was on.
        path: PathBuf,
        /// What sgperms was doing ("write", "replace", "lock", ...).
        op: &'static str,
        /// The operating system's error.
        source: std::io::Error,
        /// True when a half-done replacement was undone before returning.
        rolled_back: bool,
    },
    /// The journal of an interrupted write cannot be read, so sgperms cannot
    /// tell which files to put back.
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

impl FolderError {
    /// A short machine-readable name for the kind of error.
    pub fn kind(&self) -> &'static str {
        match self {
            FolderError::Busy { .. } => "busy",
            FolderError::Symlink { .. } => "symlink",
            FolderError::BadName { .. } => "bad_name",
            FolderError::Refused { .. } => "refused",
            FolderError::Io { .. } => "io",
            FolderError::Journal { .. } => "journal",
        }
    }

    /// The operating system's error kind, where there is one.
    pub fn io_kind(&self) -> Option<ErrorKind> {
        match self {
            FolderError::Io { source, .. } => Some(source.kind()),
            FolderError::Refused { .. } => Some(ErrorKind::PermissionDenied),
            FolderError::Busy { .. } => Some(ErrorKind::WouldBlock),
            _ => None,
        }
    }

    fn io(path: &Path, op: &'static str, source: std::io::Error) -> Self {
        FolderError::Io {
            path: path.to_path_buf(),
            op,
            source,
            rolled_back: false,
        }
    }
}

impl fmt::Display for FolderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FolderError::Busy {
                dir,
                holder,
                waited,
            } => write!(
                f,
                "{}: in use by another sgperms process ({}); waited {} s, nothing written. \
                 Try again when it has finished",
                dir.display(),
                if holder.is_empty() {
                    "holder unknown"
                } else {
                    holder
                },
                waited.as_secs()
            ),
            FolderError::Symlink { path } => write!(
                f,
                "{}: is a symbolic link inside a folder sgperms manages; sgperms never writes \
                 through one. Replace it with the file itself",
                path.display()
            ),
            FolderError::BadName { name } => write!(
                f,
                "{name:?}: not a plain file name sgperms may write in a managed folder"
            ),
            FolderError::Refused { path, why } => {
                write!(f, "cannot write {}: {why}", path.display())
            }
            FolderError::Io {
                path,
                op,
                source,
                rolled_back,
            } => {
                write!(f, "cannot {op} {}: {}", path.display(), os_text(source))?;
                if *rolled_back {
                    write!(f, "; the previous files were put back")?;
                }
                Ok(())
            }
            FolderError::Journal { path, why } => write!(
                f,
                "{}: the journal of an interrupted write cannot be read ({why}); \
                 nothing was changed. Restore the folder from git, then remove the journal",
                path.display()
            ),
        }
    }
}

impl std::error::Error for FolderError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FolderError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// "No such file or directory", without "(os error 2)".
fn os_text(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// What the journal records about one file being replaced or removed.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    name: String,
    /// Whether a previous file existed (and so has a backup to put back).
    existed: bool,
    /// Whether the unit removes the file instead of writing it (absent in
    /// journals of versions that could not remove).
    #[serde(default)]
    removed: bool,
}

/// The journal of a write in progress.
#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    holder: String,
    files: Vec<Entry>,
}

/// How a folder is opened: to read it (shared) or to replace its files (exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Many readers at once; no writer meanwhile.
    Read,
    /// One writer; no reader meanwhile.
    Write,
}

/// An open managed folder: holds its lock until dropped.
#[derive(Debug)]
pub struct Folder {
    dir: PathBuf,
    lock: Option<File>,
    recovered: Option<String>,
    #[cfg(test)]
    fault: Option<Fault>,
}

/// A failure the tests inject at the Nth replacing rename.
#[cfg(test)]
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// The rename fails, as for a file that cannot be replaced.
    Fail(usize),
    /// The process "dies" before the rename: nothing more is done, nothing undone.
    Die(usize),
}

impl Folder {
    /// Opens `dir` for `access`, waiting up to `wait` for a writer (or, to
    /// write, for everyone) to finish. An interrupted write is rolled back
    /// first (see [`Folder::recovered`]). To write, the folder is created when
    /// missing. A folder that does not exist, or where no lock file can be
    /// made (read-only), is read without a lock: no sgperms writer can be in
    /// it then, unless a journal shows one died, which is an error.
    /// `holder` describes this process for anyone kept waiting
    /// ("sgperms snapshot"); it must hold no secret.
    pub fn open(
        dir: &Path,
        access: Access,
        wait: Duration,
        holder: &str,
    ) -> Result<Folder, FolderError> {
        if access == Access::Write {
            std::fs::create_dir_all(dir)
                .map_err(|e| FolderError::io(dir, "create the folder", e))?;
        } else if !dir.is_dir() {
            return Ok(Folder::unlocked(dir));
        }
        let mut folder = Folder::unlocked(dir);
        let lock = match folder.take_lock(access, wait) {
            Ok(lock) => lock,
            Err(FolderError::Io { source, .. })
                if access == Access::Read && source.kind() == ErrorKind::PermissionDenied =>
            {
                if folder.path(JOURNAL).exists() {
                    return Err(FolderError::Journal {
                        path: folder.path(JOURNAL),
                        why:
                            "an interrupted write, and no permission to put the previous files back"
                                .into(),
                    });
                }
                return Ok(folder);
            }
            Err(e) => return Err(e),
        };
        folder.lock = Some(lock);
        let needs_cleanup =
            folder.path(JOURNAL).exists() || (access == Access::Write && folder.has_leftovers());
        if needs_cleanup {
            if access == Access::Read {
                // Rolling back writes: swap the shared lock for the exclusive one.
                folder.lock = None;
                folder.lock = Some(folder.take_lock(Access::Write, wait)?);
            }
            folder.recovered = folder.roll_back()?;
            folder.remove_leftovers();
            if access == Access::Read {
                folder.lock = None;
                folder.lock = Some(folder.take_lock(Access::Read, wait)?);
            }
        }
        if access == Access::Write {
            folder.describe_holder(holder);
        }
        Ok(folder)
    }

    fn unlocked(dir: &Path) -> Folder {
        Folder {
            dir: dir.to_path_buf(),
            lock: None,
            recovered: None,
            #[cfg(test)]
            fault: None,
        }
    }

    /// What was rolled back on opening, in a sentence; None when the folder was whole.
    pub fn recovered(&self) -> Option<&str> {
        self.recovered.as_deref()
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Refuses, before any work is done, names that [`Folder::commit`] would
    /// refuse: links, directories, read-only files, names outside the folder.
    pub fn check(&self, names: &[&str]) -> Result<(), FolderError> {
        names.iter().try_for_each(|name| self.check_target(name))
    }

    /// Replaces the named files (plain names inside the folder) as one unit:
    /// afterwards all hold their new bytes, or, on error, all hold what they
    /// held before. Needs the folder opened for [`Access::Write`].
    pub fn commit(&mut self, files: &[(&str, &[u8])]) -> Result<(), FolderError> {
        self.commit_removing(files, &[])
    }

    /// [`Folder::commit`], and in the same unit removes the files named in
    /// `remove` (plain names; those missing, or also in `files`, are left
    /// alone): afterwards the new set stands without them, or, on error or
    /// after a kill rolled back, every file is as it was, the removed ones
    /// included.
    pub fn commit_removing(
        &mut self,
        files: &[(&str, &[u8])],
        remove: &[&str],
    ) -> Result<(), FolderError> {
        let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
        let remove: Vec<&str> = remove
            .iter()
            .copied()
            .filter(|name| !names.contains(name))
            .collect();
        self.check(&names)?;
        self.check(&remove)?;
        let staged = self.stage_all(files, &remove);
        let journal = match staged {
            Ok(journal) => journal,
            Err(e) => {
                self.remove_leftovers();
                return Err(e);
            }
        };
        let body = serde_json::to_vec(&journal).expect("the journal is plain data");
        if let Err(e) = self
            .write_new(JOURNAL, &body, None)
            .and_then(|()| self.rename(&new_name(JOURNAL), JOURNAL))
        {
            self.remove_leftovers();
            return Err(e);
        }
        let replaced = journal
            .files
            .iter()
            .enumerate()
            .try_for_each(|(n, entry)| {
                #[cfg(test)]
                self.inject(n)?;
                let _ = n;
                if entry.removed {
                    let path = self.path(&entry.name);
                    std::fs::remove_file(&path).map_err(|e| FolderError::io(&path, "remove", e))
                } else {
                    self.rename(&new_name(&entry.name), &entry.name)
                }
            })
            .and_then(|()| self.sync_dir());
        #[cfg(test)]
        if let Err(FolderError::Journal { .. }) = replaced {
            self.lock = None;
            return replaced;
        }
        if let Err(e) = replaced {
            return Err(self.undo(e));
        }
        // The commit point: from here on the new set stands.
        let journal_path = self.path(JOURNAL);
        if let Err(e) = std::fs::remove_file(&journal_path) {
            return Err(self.undo(FolderError::io(&journal_path, "remove", e)));
        }
        let _ = self.sync_dir();
        self.remove_leftovers();
        Ok(())
    }

    #[cfg(test)]
    fn inject(&self, n: usize) -> Result<(), FolderError> {
        match self.fault {
            Some(Fault::Fail(at)) if at == n => Err(FolderError::io(
                &self.dir,
                "replace",
                std::io::Error::new(ErrorKind::PermissionDenied, "injected"),
            )),
            Some(Fault::Die(at)) if at == n => Err(FolderError::Journal {
                path: self.dir.clone(),
                why: "died".into(),
            }),
            _ => Ok(()),
        }
    }

    /// Puts the previous files back after a failed replacement and says so in the error.
    fn undo(&mut self, err: FolderError) -> FolderError {
        // Backups are removed only once they are back in place; if putting
        // them back failed, the journal stays for the next run to finish.
        let restored = self.roll_back().is_ok();
        if restored {
            self.remove_leftovers();
        }
        match err {
            FolderError::Io {
                path, op, source, ..
            } => FolderError::Io {
                path,
                op,
                source,
                rolled_back: restored,
            },
            other => other,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Refuses names that leave the folder, are sgperms' own, or are links or directories.
    fn check_target(&self, name: &str) -> Result<(), FolderError> {
        if !is_plain(name) {
            return Err(FolderError::BadName { name: name.into() });
        }
        let path = self.path(name);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => Err(FolderError::Symlink { path }),
            Ok(m) if m.is_dir() => Err(FolderError::Refused {
                path,
                why: "is a directory",
            }),
            Ok(m) if m.permissions().readonly() => Err(FolderError::Refused {
                path,
                why: "the file is read-only",
            }),
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(FolderError::io(&path, "read", e)),
        }
    }

    /// Stages every new file and backs up every file it replaces or removes
    /// (a name to remove that is missing is left out); returns the journal to write.
    fn stage_all(&self, files: &[(&str, &[u8])], remove: &[&str]) -> Result<Journal, FolderError> {
        let mut entries = Vec::with_capacity(files.len() + remove.len());
        for (name, bytes) in files {
            let target = self.path(name);
            let existing = std::fs::symlink_metadata(&target).ok();
            self.write_new(name, bytes, existing.as_ref())?;
            if existing.is_some() {
                self.back_up(name)?;
            }
            entries.push(Entry {
                name: (*name).to_string(),
                existed: existing.is_some(),
                removed: false,
            });
        }
        for name in remove {
            if std::fs::symlink_metadata(self.path(name)).is_ok() {
                self.back_up(name)?;
                entries.push(Entry {
                    name: (*name).to_string(),
                    existed: true,
                    removed: true,
                });
            }
        }
        Ok(Journal {
            holder: holder_text(self.lock.as_ref()),
            files: entries,
        })
    }

    /// Writes `.sgperms-new-NAME`, flushed, with the mode of the file it replaces.
    fn write_new(
        &self,
        name: &str,
        bytes: &[u8],
        existing: Option<&std::fs::Metadata>,
    ) -> Result<(), FolderError> {
        let path = self.path(&new_name(name));
        let fail = |e| FolderError::io(&self.path(name), "write", e);
        remove_if_there(&path).map_err(fail)?;
        let mut file = create_new(&path).map_err(fail)?;
        if let Some(meta) = existing {
            file.set_permissions(meta.permissions()).map_err(fail)?;
        }
        file.write_all(bytes).map_err(fail)?;
        file.sync_all().map_err(fail)
    }

    /// Keeps the current file as `.sgperms-old-NAME` (a hard link, or a copy
    /// where the file system has none).
    fn back_up(&self, name: &str) -> Result<(), FolderError> {
        let (from, to) = (self.path(name), self.path(&old_name(name)));
        let fail = |e| FolderError::io(&from, "keep a copy of", e);
        remove_if_there(&to).map_err(fail)?;
        if std::fs::hard_link(&from, &to).is_ok() {
            return Ok(());
        }
        let mut bytes = Vec::new();
        File::open(&from)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(fail)?;
        let meta = std::fs::metadata(&from).map_err(fail)?;
        let mut copy = create_new(&to).map_err(fail)?;
        copy.set_permissions(meta.permissions()).map_err(fail)?;
        copy.write_all(&bytes)
            .and_then(|()| copy.sync_all())
            .map_err(fail)
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), FolderError> {
        std::fs::rename(self.path(from), self.path(to))
            .map_err(|e| FolderError::io(&self.path(to), "replace", e))
    }

    fn sync_dir(&self) -> Result<(), FolderError> {
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| FolderError::io(&self.dir, "flush", e))
    }

    /// Undoes what the journal records, if there is one. Safe to repeat after
    /// a kill at any point of its own: every step is a rename or a removal
    /// that leaves the same end state when done twice.
    fn roll_back(&mut self) -> Result<Option<String>, FolderError> {
        let path = self.path(JOURNAL);
        let text = match std::fs::read(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(FolderError::io(&path, "read", e)),
        };
        let journal: Journal = serde_json::from_slice(&text).map_err(|e| FolderError::Journal {
            path: path.clone(),
            why: e.to_string(),
        })?;
        for entry in &journal.files {
            if !is_plain(&entry.name) {
                return Err(FolderError::Journal {
                    path: path.clone(),
                    why: format!("it names {:?}", entry.name),
                });
            }
        }
        for entry in &journal.files {
            let (target, old) = (self.path(&entry.name), self.path(&old_name(&entry.name)));
            if entry.existed {
                if old.exists() {
                    // rename() does nothing when both names are links to one
                    // file (not replaced yet); the backup then goes with the leftovers.
                    std::fs::rename(&old, &target)
                        .map_err(|e| FolderError::io(&target, "put back", e))?;
                }
            } else {
                remove_if_there(&target).map_err(|e| FolderError::io(&target, "remove", e))?;
            }
        }
        self.sync_dir()?;
        remove_if_there(&path).map_err(|e| FolderError::io(&path, "remove", e))?;
        let _ = self.sync_dir();
        let names: Vec<&str> = journal.files.iter().map(|e| e.name.as_str()).collect();
        let holder = if journal.holder.is_empty() {
            "holder unknown"
        } else {
            &journal.holder
        };
        let state = if names.is_empty() {
            "nothing had been replaced".to_string()
        } else {
            format!("{} are as they were before it", names.join(", "))
        };
        Ok(Some(format!(
            "{}: an interrupted write ({holder}) was rolled back; {state}",
            self.dir.display()
        )))
    }

    fn has_leftovers(&self) -> bool {
        !self.leftovers().is_empty()
    }

    /// sgperms' own staging files and backups (and the temporary files of older versions).
    fn leftovers(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| e.ok())
            .filter(|e| {
                let name = e.file_name();
                let name = name.to_string_lossy();
                name.starts_with(PREFIX)
                    && name != JOURNAL
                    && e.file_type().is_ok_and(|t| !t.is_dir())
            })
            .map(|e| e.path())
            .collect()
    }

    fn remove_leftovers(&self) {
        for path in self.leftovers() {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Takes the lock file's lock, waiting up to `wait`. The lock file is
    /// removed by whoever releases it last, so after locking, the file must
    /// still be the one at the path, or the lock is taken again on the new one.
    fn take_lock(&self, access: Access, wait: Duration) -> Result<File, FolderError> {
        let path = self.path(LOCK);
        let start = Instant::now();
        loop {
            let file = open_lock(&path).map_err(|e| {
                if is_symlink(&path) {
                    FolderError::Symlink { path: path.clone() }
                } else {
                    FolderError::io(&path, "lock", e)
                }
            })?;
            let attempt = match access {
                Access::Read => file.try_lock_shared(),
                Access::Write => file.try_lock(),
            };
            match attempt {
                Ok(()) if same_file(&file, &path) => return Ok(file),
                Ok(()) => continue,
                Err(TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(50).min(wait));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(FolderError::Busy {
                        dir: self.dir.clone(),
                        holder: holder_text(Some(&file)),
                        waited: start.elapsed(),
                    })
                }
                Err(TryLockError::Error(e)) => return Err(FolderError::io(&path, "lock", e)),
            }
        }
    }

    /// Writes who holds the lock into the lock file, for anyone kept waiting.
    fn describe_holder(&self, holder: &str) {
        if let Some(mut file) = self.lock.as_ref() {
            use std::io::Seek;
            let text = format!("pid {}, {}", std::process::id(), clean(holder));
            let _ = file
                .set_len(0)
                .and_then(|()| file.seek(std::io::SeekFrom::Start(0)))
                .and_then(|_| file.write_all(text.as_bytes()));
        }
    }
}

impl Drop for Folder {
    /// Releases the lock; the last one out removes the lock file, so none is
    /// left for `git add -A` to commit.
    fn drop(&mut self) {
        if let Some(file) = self.lock.take() {
            let path = self.path(LOCK);
            if file.try_lock().is_ok() && same_file(&file, &path) {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
}

fn new_name(name: &str) -> String {
    format!("{PREFIX}new-{name}")
}

fn old_name(name: &str) -> String {
    format!("{PREFIX}old-{name}")
}

/// A file name inside the folder that is not one of sgperms' own.
fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.starts_with(PREFIX)
        && name != LOCK
}

fn remove_if_there(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// A new file; fails rather than follow a link planted at `path`.
fn create_new(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
    options.open(path)
}

/// The lock file, created when missing, never through a link.
fn open_lock(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o666)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    }
    match options.open(path) {
        // No permission to create or write: a shared lock needs only reading.
        Err(e) if e.kind() == ErrorKind::PermissionDenied && path.exists() => {
            let mut read_only = OpenOptions::new();
            read_only.read(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::custom_flags(&mut read_only, libc::O_NOFOLLOW);
            read_only.open(path)
        }
        other => other,
    }
}

/// Whether the open `file` is still the file at `path`.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

fn holder_text(file: Option<&File>) -> String {
    let mut text = String::new();
    if let Some(mut file) = file {
        use std::io::Seek;
        let _ = file.seek(std::io::SeekFrom::Start(0));
        let _ = file.take(300).read_to_string(&mut text);
    }
    clean(text.trim())
}

/// Text from a file or a host name, safe to print on one line.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 4] = ["roles.csv", "users.csv", "permissions.csv", "snapshot.json"];

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// The folder holds the set's files and nothing of sgperms' own.
    fn only_the_set(dir: &Path) {
        let mut expected: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(names(dir), expected);
    }

    fn set(dir: &Path, tag: &str) {
        let mut f = Folder::open(dir, Access::Write, Duration::ZERO, "test").unwrap();
        let bodies: Vec<String> = NAMES.iter().map(|n| format!("{tag} {n}")).collect();
        let files: Vec<(&str, &[u8])> = NAMES
            .iter()
            .zip(&bodies)
            .map(|(n, b)| (*n, b.as_bytes()))
            .collect();
        f.commit(&files).unwrap();
    }

    fn contents(dir: &Path) -> Vec<String> {
        NAMES
            .iter()
            .map(|n| std::fs::read_to_string(dir.join(n)).unwrap_or_else(|_| "missing".into()))
            .collect()
    }

    fn whole(dir: &Path, tag: &str) -> bool {
        contents(dir)
            .iter()
            .zip(NAMES)
            .all(|(c, n)| c == &format!("{tag} {n}"))
    }

    fn new_files(tag: &str) -> Vec<(String, String)> {
        NAMES
            .iter()
            .map(|n| (n.to_string(), format!("{tag} {n}")))
            .collect()
    }

    fn commit_with(dir: &Path, tag: &str, fault: Option<Fault>) -> Result<(), FolderError> {
        let mut f = Folder::open(dir, Access::Write, Duration::ZERO, "test").unwrap();
        f.fault = fault;
        let files = new_files(tag);
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_bytes()))
            .collect();
        f.commit(&refs)
    }

    #[test]
    fn a_commit_replaces_every_file_and_leaves_nothing_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        set(dir.path(), "old");
        assert!(whole(dir.path(), "old"));
        set(dir.path(), "new");
        assert!(whole(dir.path(), "new"));
        let mut expected: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(
            names(dir.path()),
            expected,
            "no lock, journal or staged file left"
        );
    }

    #[test]
    fn a_failing_rename_puts_back_what_was_already_replaced() {
        for at in 0..NAMES.len() {
            let dir = tempfile::tempdir().unwrap();
            set(dir.path(), "old");
            let err = commit_with(dir.path(), "new", Some(Fault::Fail(at))).unwrap_err();
            assert!(
                err.to_string()
                    .ends_with("the previous files were put back"),
                "{err}"
            );
            assert!(
                whole(dir.path(), "old"),
                "at {at}: {:?}",
                contents(dir.path())
            );
            only_the_set(dir.path());
        }
    }

    #[test]
    fn a_write_that_died_is_rolled_back_by_the_next_reader_or_writer() {
        for access in [Access::Read, Access::Write] {
            for at in 0..NAMES.len() {
                let dir = tempfile::tempdir().unwrap();
                set(dir.path(), "old");
                commit_with(dir.path(), "new", Some(Fault::Die(at))).unwrap_err();
                assert!(dir.path().join(JOURNAL).exists());
                if at > 0 {
                    assert!(!whole(dir.path(), "old"), "the kill left a mix to repair");
                }
                let f = Folder::open(dir.path(), access, Duration::ZERO, "test").unwrap();
                let said = f.recovered().expect("says it rolled back").to_string();
                assert!(said.contains("interrupted write (pid "), "{said}");
                assert!(
                    whole(dir.path(), "old"),
                    "{access:?} at {at}: {:?}",
                    contents(dir.path())
                );
                drop(f);
                set(dir.path(), "next");
                assert!(whole(dir.path(), "next"));
                only_the_set(dir.path());
            }
        }
    }

    /// The old set plus `stale.txt`, then a unit writing the new set and
    /// removing `stale.txt` (and `gone.txt`, missing), with `fault`.
    fn removing_with(dir: &Path, fault: Option<Fault>) -> Result<(), FolderError> {
        set(dir, "old");
        std::fs::write(dir.join("stale.txt"), "old stale").unwrap();
        let mut f = Folder::open(dir, Access::Write, Duration::ZERO, "test").unwrap();
        f.fault = fault;
        let files = new_files("new");
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_bytes()))
            .collect();
        f.commit_removing(&refs, &["stale.txt", "gone.txt"])
    }

    fn old_with_stale(dir: &Path) -> bool {
        whole(dir, "old")
            && std::fs::read_to_string(dir.join("stale.txt")).is_ok_and(|t| t == "old stale")
    }

    #[test]
    fn a_unit_removes_files_with_the_rest_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        removing_with(dir.path(), None).unwrap();
        assert!(whole(dir.path(), "new"));
        only_the_set(dir.path());
        // The removal is the last step (after the four renames): fail or die at each.
        for at in 0..=NAMES.len() {
            let dir = tempfile::tempdir().unwrap();
            let err = removing_with(dir.path(), Some(Fault::Fail(at))).unwrap_err();
            assert!(
                err.to_string()
                    .ends_with("the previous files were put back"),
                "{err}"
            );
            assert!(
                old_with_stale(dir.path()),
                "fail at {at}: {:?}",
                names(dir.path())
            );
            for access in [Access::Read, Access::Write] {
                let dir = tempfile::tempdir().unwrap();
                removing_with(dir.path(), Some(Fault::Die(at))).unwrap_err();
                let f = Folder::open(dir.path(), access, Duration::ZERO, "test").unwrap();
                let said = f.recovered().expect("says it rolled back").to_string();
                assert!(
                    said.contains("stale.txt are as they were before it"),
                    "{said}"
                );
                drop(f);
                assert!(
                    old_with_stale(dir.path()),
                    "die at {at}: {:?}",
                    names(dir.path())
                );
            }
        }
    }

    #[test]
    fn a_name_both_written_and_removed_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = Folder::open(dir.path(), Access::Write, Duration::ZERO, "test").unwrap();
        f.commit_removing(&[("a.txt", b"kept")], &["a.txt"])
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.txt")).unwrap(),
            "kept"
        );
    }

    #[test]
    fn a_removal_is_refused_like_a_write_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        set(dir.path(), "old");
        std::os::unix::fs::symlink(dir.path().join("roles.csv"), dir.path().join("link.txt"))
            .unwrap();
        let mut f = Folder::open(dir.path(), Access::Write, Duration::ZERO, "test").unwrap();
        let err = f.commit_removing(&[], &["link.txt"]).unwrap_err();
        assert_eq!(err.kind(), "symlink");
        assert!(dir.path().join("link.txt").exists() && whole(dir.path(), "old"));
        assert_eq!(
            f.commit_removing(&[], &["../x"]).unwrap_err().kind(),
            "bad_name"
        );
    }

    #[test]
    fn a_first_write_that_died_leaves_no_file_behind_after_the_next_open() {
        let dir = tempfile::tempdir().unwrap();
        commit_with(dir.path(), "new", Some(Fault::Die(2))).unwrap_err();
        let f = Folder::open(dir.path(), Access::Write, Duration::ZERO, "test").unwrap();
        assert!(f.recovered().is_some());
        drop(f);
        assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
    }

    #[test]
    fn leftovers_of_a_run_killed_while_staging_go_with_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        set(dir.path(), "old");
        std::fs::write(dir.path().join(".sgperms-new-users.csv"), "half").unwrap();
        std::fs::write(dir.path().join(".sgperms-Ab12.tmp"), "older version's").unwrap();
        set(dir.path(), "new");
        only_the_set(dir.path());
    }

    #[test]
    fn a_second_writer_is_told_who_holds_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let first = Folder::open(
            dir.path(),
            Access::Write,
            Duration::ZERO,
            "sgperms snapshot",
        )
        .unwrap();
        let err =
            Folder::open(dir.path(), Access::Write, Duration::from_millis(120), "x").unwrap_err();
        assert_eq!(err.kind(), "busy");
        let text = err.to_string();
        assert!(
            text.contains(&format!("pid {}, sgperms snapshot", std::process::id())),
            "{text}"
        );
        let err = Folder::open(dir.path(), Access::Read, Duration::ZERO, "x").unwrap_err();
        assert_eq!(err.kind(), "busy", "no reading during a write");
        drop(first);
        let a = Folder::open(dir.path(), Access::Read, Duration::ZERO, "x").unwrap();
        let b = Folder::open(dir.path(), Access::Read, Duration::ZERO, "x").unwrap();
        assert_eq!(
            Folder::open(dir.path(), Access::Write, Duration::ZERO, "x")
                .unwrap_err()
                .kind(),
            "busy"
        );
        drop((a, b));
        assert!(
            names(dir.path()).is_empty(),
            "the last one out removes the lock file"
        );
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_inside_the_folder_are_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join("users.csv")).unwrap();
        let err = commit_with(dir.path(), "new", None).unwrap_err();
        assert_eq!(err.kind(), "symlink", "{err}");
        assert!(
            err.to_string().contains("users.csv: is a symbolic link"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!dir.path().join("roles.csv").exists(), "nothing written");

        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(LOCK)).unwrap();
        let err = Folder::open(dir.path(), Access::Write, Duration::ZERO, "x").unwrap_err();
        assert_eq!(err.kind(), "symlink", "{err}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");

        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&victim, dir.path().join(".sgperms-new-roles.csv")).unwrap();
        set(dir.path(), "new");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(whole(dir.path(), "new"));
    }

    #[test]
    fn names_that_leave_the_folder_or_are_sgperms_own_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = Folder::open(dir.path(), Access::Write, Duration::ZERO, "x").unwrap();
        for name in ["../escape", "", "..", ".sgperms-journal", LOCK, "a/b"] {
            let err = f.commit(&[(name, b"x")]).unwrap_err();
            assert_eq!(err.kind(), "bad_name", "{name}");
        }
    }

    #[test]
    fn a_journal_that_cannot_be_read_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        set(dir.path(), "old");
        std::fs::write(
            dir.path().join(JOURNAL),
            r#"{"holder":"x","files":[{"name":"../../etc/passwd","existed":false}]}"#,
        )
        .unwrap();
        let err = Folder::open(dir.path(), Access::Read, Duration::ZERO, "x").unwrap_err();
        assert_eq!(err.kind(), "journal");
        assert!(whole(dir.path(), "old"));
        std::fs::write(dir.path().join(JOURNAL), "{not json").unwrap();
        assert_eq!(
            Folder::open(dir.path(), Access::Write, Duration::ZERO, "x")
                .unwrap_err()
                .kind(),
            "journal"
        );
    }
}
