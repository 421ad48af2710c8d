//! What a pool's jobs are allowed to reach: [`Permissions`], one [`Grant`] per [`Capability`].

use std::fmt;
use std::path::{Path, PathBuf};

/// Whether `limit` grants all that the `--allow-net` entry `entry` does; as text without the
/// network functions.
#[cfg(feature = "capabilities")]
use super::net::net_within;
#[cfg(not(feature = "capabilities"))]
fn net_within(limit: &Grant, entry: &str) -> bool {
    limit.allows(entry)
}

/// One kind of access a job script can be granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// Reading files and listing folders.
    Read,
    /// Creating, writing and removing files.
    Write,
    /// HTTP(S) requests, TCP connections and name resolution.
    Net,
    /// Running programs.
    Run,
    /// Reading environment variables.
    Env,
}

impl Capability {
    /// Every capability, in the order flags list them.
    pub const ALL: [Capability; 5] = [
        Capability::Read,
        Capability::Write,
        Capability::Net,
        Capability::Run,
        Capability::Env,
    ];

    /// Its name, as flags and option maps write it: `read`, `write`, `net`, `run`, `env`.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Read => "read",
            Capability::Write => "write",
            Capability::Net => "net",
            Capability::Run => "run",
            Capability::Env => "env",
        }
    }

    /// The command-line flag that grants it: `--allow-read`.
    pub fn flag(self) -> String {
        format!("--allow-{}", self.name())
    }

    /// The capability of this name.
    pub fn from_name(name: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether each entry of `list` (comma-separated, as [`Permissions::allow`] takes it)
    /// names something this capability could reach, or why the first that does not. Network
    /// entries are checked (`host` or `host:port`); a path, program or variable that does not
    /// exist yet is taken as written.
    pub fn check_list(self, list: &str) -> Result<(), String> {
        if self != Capability::Net {
            return Ok(());
        }
        let mut entries = list.split(',').map(str::trim).filter(|e| !e.is_empty());
        entries.try_for_each(|entry| match super::net_entry::problem(entry) {
            Some(problem) => Err(format!("{entry:?}: {problem}")),
            None => Ok(()),
        })
    }

    /// What a refusal calls the access: `read access`, `network access`.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Capability::Read => "read",
            Capability::Write => "write",
            Capability::Net => "network",
            Capability::Run => "run",
            Capability::Env => "environment",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How much of one capability is granted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Grant {
    /// None of it: the default.
    #[default]
    Nothing,
    /// All of it (a flag without a value: `--allow-net`).
    Everything,
    /// Only these: paths (read, write), `host` or `host:port` (net), program names or paths
    /// (run), variable names (env).
    Only(Vec<String>),
}

impl Grant {
    /// Adds what `value` names (a comma-separated list; `None` for everything).
    fn widen(&mut self, value: Option<&str>) {
        let Some(value) = value else {
            *self = Grant::Everything;
            return;
        };
        let items = value.split(',').map(str::trim).filter(|s| !s.is_empty());
        match self {
            Grant::Everything => {}
            Grant::Only(list) => list.extend(items.map(str::to_string)),
            Grant::Nothing => *self = Grant::Only(items.map(str::to_string).collect()),
        }
    }

    /// Whether anything at all is granted.
    pub fn is_nothing(&self) -> bool {
        match self {
            Grant::Nothing => true,
            Grant::Everything => false,
            Grant::Only(list) => list.is_empty(),
        }
    }

    /// Whether `item` is granted, compared as text (net, run, env).
    pub fn allows(&self, item: &str) -> bool {
        match self {
            Grant::Nothing => false,
            Grant::Everything => true,
            Grant::Only(list) => list.iter().any(|granted| granted == item),
        }
    }

    /// The folders and files granted, as absolute paths (`Everything`: the root). Relative
    /// paths are taken from the current directory when the grant is read.
    pub fn paths(&self) -> Vec<PathBuf> {
        match self {
            Grant::Nothing => Vec::new(),
            Grant::Everything => vec![PathBuf::from("/")],
            Grant::Only(list) => list.iter().map(|p| absolute(Path::new(p))).collect(),
        }
    }
}

/// `path` made absolute from the current directory, without touching the file system (a
/// grant may name a path that does not exist yet, to write it).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Where `path` leads: its longest existing start with symlinks and `..` resolved by the file
/// system, then the rest with `..` taken off lexically (it does not exist yet, so no link in
/// it can lead elsewhere).
fn resolved(path: &Path) -> PathBuf {
    let path = absolute(path);
    let mut existing = path.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                match part {
                    std::path::Component::ParentDir => {
                        out.pop();
                    }
                    std::path::Component::Normal(name) => out.push(name),
                    _ => {}
                }
            }
            return out;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return path,
        }
    }
}

/// A granted path (read, write) as written, made absolute, and where it led when it was
/// granted ([`resolved`]). A path is opened beneath `real`, not by following `written` again:
/// a symlink retargeted, or put in place of a folder, after the grant does not move it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Root {
    pub(crate) written: PathBuf,
    pub(crate) real: PathBuf,
}

/// What a pool's jobs may reach beyond the engine: one [`Grant`] per [`Capability`], nothing by
/// default.
///
/// ```
/// use rsparallel::capabilities::{Capability, Permissions};
///
/// let permissions = Permissions::none()
///     .allow(Capability::Read, Some("/data,/etc/hosts"))
///     .allow(Capability::Net, None);
/// assert!(permissions.grant(Capability::Net).allows("example.com:443"));
/// assert!(permissions.grant(Capability::Run).is_nothing());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Permissions {
    read: Grant,
    write: Grant,
    net: Grant,
    run: Grant,
    env: Grant,
    /// The paths `read` and `write` grant, resolved when granted.
    read_roots: Vec<Root>,
    write_roots: Vec<Root>,
    /// The files the programs `run` grants were when granted, symlinks followed.
    run_files: Vec<PathBuf>,
}

impl Permissions {
    /// Nothing granted: the sandbox.
    pub fn none() -> Self {
        Permissions::default()
    }

    /// Everything granted (`--allow-all`).
    pub fn all() -> Self {
        Capability::ALL
            .into_iter()
            .fold(Permissions::none(), |p, c| p.allow(c, None))
    }

    /// Grants `capability`: everything for `None`, else the comma-separated list in `value`
    /// (added to what was granted before), as `--allow-read=/data,/tmp` writes it.
    ///
    /// A path is resolved now, symlinks followed: `--allow-read=/data/current`, a symlink to
    /// `/data/v7`, grants `/data/v7` (reached by either name), whatever the link leads to later.
    /// Entries are taken as written: one that names nothing (`:` for the network) grants
    /// nothing; [`Capability::check_list`] tells them, as the command line and host scripts
    /// do before they grant.
    pub fn allow(mut self, capability: Capability, value: Option<&str>) -> Self {
        self.grant_mut(capability).widen(value);
        let items = value.into_iter().flat_map(|v| v.split(',')).map(str::trim);
        if capability == Capability::Run {
            let here = std::env::current_dir().unwrap_or_default();
            let files = items
                .filter_map(|program| super::programs::locate(program, &here)?.canonicalize().ok());
            self.run_files.extend(files);
            return self;
        }
        let roots = match capability {
            Capability::Read => &mut self.read_roots,
            Capability::Write => &mut self.write_roots,
            _ => return self,
        };
        roots.extend(items.filter(|s| !s.is_empty()).map(|item| Root {
            written: absolute(Path::new(item)),
            real: resolved(Path::new(item)),
        }));
        self
    }

    /// The files the programs `run` grants led to when granted (see `process::granted`).
    #[cfg_attr(not(feature = "capabilities"), expect(dead_code))]
    pub(crate) fn run_files(&self) -> &[PathBuf] {
        &self.run_files
    }

    /// The paths granted for `capability` (read, write), as resolved when granted; none for
    /// the others, and for a grant of everything.
    pub(crate) fn roots(&self, capability: Capability) -> &[Root] {
        match (capability, self.grant(capability)) {
            (_, Grant::Everything) => &[],
            (Capability::Read, _) => &self.read_roots,
            (Capability::Write, _) => &self.write_roots,
            _ => &[],
        }
    }

    /// What is granted of `capability`.
    pub fn grant(&self, capability: Capability) -> &Grant {
        match capability {
            Capability::Read => &self.read,
            Capability::Write => &self.write,
            Capability::Net => &self.net,
            Capability::Run => &self.run,
            Capability::Env => &self.env,
        }
    }

    fn grant_mut(&mut self, capability: Capability) -> &mut Grant {
        match capability {
            Capability::Read => &mut self.read,
            Capability::Write => &mut self.write,
            Capability::Net => &mut self.net,
            Capability::Run => &mut self.run,
            Capability::Env => &mut self.env,
        }
    }

    /// The first capability `self` grants beyond `limit`, and what of it: a host script's
    /// pool may grant its jobs only what the host script was granted itself. A path is within
    /// a granted path when it is that path or under it.
    pub fn beyond(&self, limit: &Permissions) -> Option<(Capability, String)> {
        for capability in Capability::ALL {
            let (wanted, allowed) = (self.grant(capability), limit.grant(capability));
            let items = match (wanted, allowed) {
                (Grant::Nothing, _) | (_, Grant::Everything) => continue,
                (Grant::Everything, _) => return Some((capability, String::new())),
                (Grant::Only(items), _) => items,
            };
            if matches!(capability, Capability::Read | Capability::Write) {
                // Where the paths led when granted, `..` and symlinks followed (`a/../b`, or a
                // link inside `a` to `b`, is not under `a`), on both sides: those are the
                // folders the calls open, so a link swapped after this check moves nothing.
                let granted = limit.roots(capability);
                let outside = self.roots(capability).iter().find(|root| {
                    !granted
                        .iter()
                        .any(|limit| root.real.starts_with(&limit.real))
                });
                match outside {
                    Some(root) => return Some((capability, root.written.display().to_string())),
                    None => continue,
                }
            }
            let within = |item: &String| {
                if capability == Capability::Net {
                    net_within(allowed, item)
                } else {
                    allowed.allows(item)
                }
            };
            if let Some(item) = items.iter().find(|item| !within(item)) {
                return Some((capability, item.clone()));
            }
        }
        None
    }

    /// Whether nothing at all is granted.
    pub fn is_none(&self) -> bool {
        Capability::ALL
            .into_iter()
            .all(|c| self.grant(c).is_nothing())
    }
}

#[cfg(test)]
mod tests;
