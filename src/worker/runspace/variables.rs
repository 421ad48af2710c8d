//! The variables a job sees, in the order a name is looked up from the scope's end: the job's
//! own (`item`, `seq`, `attempt`), then its batch's, then the pool's. The job's are written in
//! place for each job; the batch's change only when a worker takes a chunk of another batch.

use rhai::{Dynamic, Scope};

use super::Runspace;
use crate::worker::batch::BatchControl;

impl Runspace {
    /// Puts the variables of `batch`, whose chunk the worker took, between the pool's and the
    /// job's, where they hide a pool variable of the same name. Constants, as the pool's: a job
    /// cannot change what the next job sees. Nothing is done while chunks come from the same
    /// batch, or from batches without variables.
    pub(crate) fn enter_batch(&mut self, batch: &BatchControl) {
        if self.batch_in_scope == Some(batch.id) {
            return;
        }
        self.batch_in_scope = Some(batch.id);
        if batch.variables.is_empty() && self.base_len == self.pool_len {
            return;
        }
        self.scope.rewind(self.pool_len);
        for (name, value) in &batch.variables {
            self.scope
                .push_constant_dynamic(name.clone(), crate::value::unshared_copy(value));
        }
        self.base_len = self.scope.len();
        self.reset_job_variables();
    }

    /// Pushes the job variables after `base_len`, where the scope ends, their values unset.
    pub(super) fn reset_job_variables(&mut self) {
        push_job_variables(&mut self.scope, Dynamic::UNIT, 0, 0);
        self.attempt_in_scope = 0;
    }

    /// Gives the job's `item`, `seq` and `attempt` their values, in place.
    pub(super) fn set_job_variables(
        &mut self,
        script: &rhai::AST,
        item: Dynamic,
        seq: u64,
        attempt: u32,
    ) {
        // `run` rewinds the scope after every job, so it holds only the template and the job
        // variables here.
        let scope = &mut self.scope;
        // A script may have made a variable shared (captured by a closure); then, or if the
        // entries are not what they were, push them afresh.
        // Only a closure can make a variable shared, and closures are functions of the AST: when
        // neither this script nor the last one has any, there is no need to look before the
        // write. (`get_value_mut` panics on a shared value.)
        let has_functions = script.has_functions();
        let last_may_share = std::mem::replace(&mut self.last_may_share, has_functions);
        let may_share = has_functions || last_may_share;
        let in_place = scope.len() == self.base_len + JOB_VARIABLES
            && (!may_share
                || [SEQ, ATTEMPT]
                    .iter()
                    .all(|name| scope.get(name).is_some_and(|v| !v.is_shared())));
        if in_place && let Some(slot) = scope.get_mut(ITEM) {
            *slot = item;
            // `get_value_mut` writes a constant in place (the script still cannot).
            if let Some(s) = scope.get_value_mut::<rhai::INT>(SEQ) {
                *s = seq as rhai::INT;
            }
            if attempt != self.attempt_in_scope
                && let Some(a) = scope.get_value_mut::<rhai::INT>(ATTEMPT)
            {
                *a = attempt as rhai::INT;
                self.attempt_in_scope = attempt;
            }
            return;
        }
        scope.rewind(self.base_len);
        push_job_variables(scope, item, seq, attempt);
        self.attempt_in_scope = attempt;
    }
}

/// Pushes `attempt`, `seq` and `item`, in that order: a name is looked up from the scope's
/// end, and `item`, read by nearly every job, is found first there.
pub(super) fn push_job_variables(
    scope: &mut Scope<'static>,
    item: Dynamic,
    seq: u64,
    attempt: u32,
) {
    scope.push_constant(ATTEMPT, attempt as rhai::INT);
    scope.push_constant(SEQ, seq as rhai::INT);
    scope.push_dynamic(ITEM, item);
}

pub(super) const ITEM: &str = "item";
const SEQ: &str = "seq";
const ATTEMPT: &str = "attempt";

/// Whether `name` is one of the variables rsparallel sets for each job (`item`, `seq`,
/// `attempt`): a pool, batch or command-line variable of that name would be hidden by it, and
/// is refused.
pub fn is_job_variable(name: &str) -> bool {
    matches!(name, ITEM | SEQ | ATTEMPT)
}
/// `item`, `seq` and `attempt`.
pub(super) const JOB_VARIABLES: usize = 3;
