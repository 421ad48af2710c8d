//! The permission flags, as Deno writes them: `--allow-read[=PATH,...]`, `--allow-write`,
//! `--allow-net[=HOST[:PORT],...]`, `--allow-run[=PROGRAM,...]`, `--allow-env[=VAR,...]` and
//! `-A/--allow-all`. Nothing is granted without them.

use clap::Args;
use rsparallel::capabilities::{Capability, Permissions};

/// What a flag given without a value grants: everything of its kind. A NUL, which no
/// argument can hold: an empty value (`--allow-read=`, as `--allow-read=$DIRS` writes it when
/// `DIRS` is empty) must not read as the flag alone, and grant everything.
const EVERYTHING: &str = "\0";

/// A flag's value: a list naming at least one thing, or the flag alone.
fn listed(value: &str) -> Result<String, String> {
    if value != EVERYTHING && value.split(',').all(|item| item.trim().is_empty()) {
        return Err("names nothing: give a list, or the flag alone to grant everything".into());
    }
    Ok(value.to_string())
}

/// `--allow-net`'s value: [`listed`], each host written so that it can match
/// (`Capability::check_list`): `--allow-net=:` or `--allow-net='*'` granted nothing, silently.
fn listed_hosts(value: &str) -> Result<String, String> {
    let value = listed(value)?;
    if value != EVERYTHING {
        Capability::Net.check_list(&value)?;
    }
    Ok(value)
}

#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Permissions (nothing is granted unless a flag says so)")]
pub struct AllowArgs {
    /// Reading files and listing folders under these paths (all, without a value).
    #[arg(long, value_name = "PATH,...", num_args = 0..=1, require_equals = true,
          default_missing_value = EVERYTHING, value_parser = listed)]
    pub allow_read: Vec<String>,

    /// Creating, writing and removing files under these paths (all, without a value).
    #[arg(long, value_name = "PATH,...", num_args = 0..=1, require_equals = true,
          default_missing_value = EVERYTHING, value_parser = listed)]
    pub allow_write: Vec<String>,

    /// HTTP(S) requests, TCP connections and name resolution to these hosts (all, without a
    /// value).
    #[arg(long, value_name = "HOST[:PORT],...", num_args = 0..=1, require_equals = true,
          default_missing_value = EVERYTHING, value_parser = listed_hosts)]
    pub allow_net: Vec<String>,

    /// Running these programs (all, without a value); no shell unless a shell is granted.
    #[arg(long, value_name = "PROGRAM,...", num_args = 0..=1, require_equals = true,
          default_missing_value = EVERYTHING, value_parser = listed)]
    pub allow_run: Vec<String>,

    /// Reading these environment variables (all, without a value).
    #[arg(long, value_name = "VAR,...", num_args = 0..=1, require_equals = true,
          default_missing_value = EVERYTHING, value_parser = listed)]
    pub allow_env: Vec<String>,

    /// Everything: every --allow-* flag without a value.
    #[arg(short = 'A', long)]
    pub allow_all: bool,
}

impl AllowArgs {
    /// The permissions the flags grant.
    pub fn permissions(&self) -> Permissions {
        if self.allow_all {
            return Permissions::all();
        }
        let flags = [
            (Capability::Read, &self.allow_read),
            (Capability::Write, &self.allow_write),
            (Capability::Net, &self.allow_net),
            (Capability::Run, &self.allow_run),
            (Capability::Env, &self.allow_env),
        ];
        let mut permissions = Permissions::none();
        for (capability, values) in flags {
            for value in values {
                let value = (value != EVERYTHING).then_some(value.as_str());
                permissions = permissions.allow(capability, value);
            }
        }
        permissions
    }
}
