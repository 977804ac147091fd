//! The table of a product's API actions: each action's name, and the function that answers it,
//! which takes the state read-only or may change it (then the state file is written after it).

use serde_json::Value;

use super::error::ApiFailure;
use super::request::ApiRequest;
use super::state::State;

/// One API action of a product, by name, with the function that answers it from the request,
/// the state and the time (epoch milliseconds).
pub enum Action {
    /// Answers from the state without changing it.
    Read(
        &'static str,
        fn(&ApiRequest, &State, i64) -> Result<Value, ApiFailure>,
    ),
    /// May change the state: the state file is written after it succeeds.
    Write(
        &'static str,
        fn(&ApiRequest, &mut State, i64) -> Result<Value, ApiFailure>,
    ),
}

impl Action {
    /// The action's name, as the `Action` parameter gives it.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Read(name, _) | Action::Write(name, _) => name,
        }
    }

    /// Whether the action may change the state.
    pub fn writes(&self) -> bool {
        matches!(self, Action::Write(..))
    }

    /// The action's answer to `req`.
    pub fn answer(
        &self,
        req: &ApiRequest,
        state: &mut State,
        now_ms: i64,
    ) -> Result<Value, ApiFailure> {
        match self {
            Action::Read(_, read) => read(req, state, now_ms),
            Action::Write(_, write) => write(req, state, now_ms),
        }
    }
}

/// The action `name` in a product's `table`.
pub fn find(table: &'static [Action], name: &str) -> Option<&'static Action> {
    table.iter().find(|a| a.name() == name)
}

/// The answer of action `name` of a product's `table` to `req`; an action the table lacks is
/// the API's unknown-action error.
pub fn answer(
    table: &'static [Action],
    name: &str,
    req: &ApiRequest,
    state: &mut State,
    now_ms: i64,
) -> Result<Value, ApiFailure> {
    match find(table, name) {
        Some(action) => action.answer(req, state, now_ms),
        None => Err(ApiFailure::unknown_action()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::{polardb, polardbx};

    /// Each product names each action once; its writes are exactly the creates and deletes.
    #[test]
    fn product_tables() {
        for (table, writes) in [
            (polardb::ACTIONS, vec!["CreateBackup", "DeleteBackup"]),
            (polardbx::ACTIONS, vec!["CreateBackup"]),
        ] {
            let names: Vec<&str> = table.iter().map(Action::name).collect();
            for name in &names {
                assert_eq!(names.iter().filter(|n| *n == name).count(), 1, "{name}");
                assert_eq!(find(table, name).map(Action::name), Some(*name));
            }
            let found: Vec<&str> = table
                .iter()
                .filter(|a| a.writes())
                .map(Action::name)
                .collect();
            assert_eq!(found, writes);
        }
    }

    /// An action the table lacks is the API's unknown-action error, and changes nothing.
    #[test]
    fn unknown_action() {
        let req = ApiRequest::new(
            "POST",
            "/",
            Some("DBClusterId=pc-1"),
            Vec::new(),
            Vec::new(),
        );
        let mut state = State::default();
        let e = answer(polardbx::ACTIONS, "DeleteBackup", &req, &mut state, 0)
            .expect_err("PolarDB-X has no DeleteBackup");
        assert_eq!(e.code, "InvalidAction.NotFound");
        assert_eq!(state, State::default());
    }
}
