//! The corpus scripts on which grain, and `auto`, give other records than the tree walker.

use super::Difference;

/// Corpus scripts on which grain's records differ from the tree walker's, and how.
///
/// Positions are compared exactly, like outputs and messages: a wrong line or column sends a
/// user to the wrong place, and nothing in the corpus depends on timing. (Where a timeout, a
/// cancel or `max_ops` stops a loop, grain reports a position a few columns from the tree
/// walker's; that is documented on `ScriptVm::Grain` and tested in `tests/grain.rs`, and is not
/// part of this corpus.) A listed difference of kind `Position` therefore means: same outputs
/// and messages, another place.
///
/// Grain's one fault found so far is the counter of `for (x, i) in ..`: with variables in the
/// scope (every job has four), it writes the counter into another variable's slot and reads
/// `()` for `i`. So the counter is lost (`for_counter*`), a variable declared before the loop
/// reads the counter inside it (`for_counter_with_variables`: `a` is 0, then 1), and the job
/// variable in that slot, `attempt`, takes the counter's value and stops being a constant: a
/// later job can assign it, and, since a worker writes `attempt` only when it changes, what
/// one job left there is what the next jobs on that worker read (`attempt_assign_fails`,
/// `job_variables_after_*`). A counter inside a function or closure, whose scope starts empty,
/// is right. The corpus runs in order on one worker; these last entries depend on a counter
/// loop having run before them.
pub const KNOWN_GRAIN_DIFFERENCES: &[(&str, Difference)] = &[
    ("for_counter", Difference::Output),
    ("for_counter_and_value", Difference::Output),
    ("for_counter_over_range", Difference::Output),
    ("for_counter_over_string", Difference::Output),
    ("for_counter_break", Difference::Output),
    ("for_counter_nested", Difference::Output),
    ("for_counter_then_job_variables", Difference::Output),
    ("job_variables_after_a_counter", Difference::Output),
    ("for_counter_with_variables", Difference::Output),
    // Grain names the `this += 1` in the method at column 18 (the `1`), the tree walker at 13.
    ("this_on_constant_fails", Difference::Position),
    ("attempt_assign_fails", Difference::Output),
    ("job_variables_after_an_assignment", Difference::Output),
];

/// Corpus scripts on which `ScriptVm::Auto` differs from the tree walker: it runs scripts on
/// grain unless they define functions (closures included), import, or declare constants their
/// functions read, so it has grain's differences on the scripts it gives grain.
pub const KNOWN_AUTO_DIFFERENCES: &[(&str, Difference)] = &[
    ("for_counter", Difference::Output),
    ("for_counter_and_value", Difference::Output),
    ("for_counter_over_range", Difference::Output),
    ("for_counter_over_string", Difference::Output),
    ("for_counter_break", Difference::Output),
    ("for_counter_nested", Difference::Output),
    ("for_counter_then_job_variables", Difference::Output),
    ("job_variables_after_a_counter", Difference::Output),
    ("for_counter_with_variables", Difference::Output),
    ("attempt_assign_fails", Difference::Output),
    ("job_variables_after_an_assignment", Difference::Output),
];
