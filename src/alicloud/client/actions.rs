//! Every action the provider calls, with the HTTP method the official SDK sends it with.
//!
//! The methods come from the official Python SDKs' generated clients
//! (`alibabacloud_polardb20170801` 9.2.1 and `alibabacloud_polardbx20200202` 3.13.0, each
//! action's `*_with_options`, `Params(method = ...)`): every action below is `POST` except
//! PolarDB-X `DescribeBackupSetList`, which is `GET` (the API metadata lists GET only for it).
//! The client looks the method up here, so an action's method is part of its definition and
//! never a special case in the transport. See `docs/api-notes.md`, section 3.

use super::Product;

/// An HTTP method an RPC action is sent with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    /// The method's name as it appears on the wire and in the V2/V3 string to sign.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One action's definition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Action {
    pub product: Product,
    pub name: &'static str,
    pub method: Method,
}

/// The actions this provider calls.
pub const ACTIONS: &[Action] = &[
    Action {
        product: Product::Polardb,
        name: "CreateBackup",
        method: Method::Post,
    },
    Action {
        product: Product::Polardb,
        name: "DescribeBackups",
        method: Method::Post,
    },
    Action {
        product: Product::Polardb,
        name: "DescribeBackupTasks",
        method: Method::Post,
    },
    Action {
        product: Product::Polardb,
        name: "DeleteBackup",
        method: Method::Post,
    },
    Action {
        product: Product::Polardbx,
        name: "CreateBackup",
        method: Method::Post,
    },
    Action {
        product: Product::Polardbx,
        name: "DescribeBackupSetList",
        method: Method::Get,
    },
    Action {
        product: Product::Polardbx,
        name: "DescribeBackupSet",
        method: Method::Post,
    },
];

/// The definition of `name` in `product`, if the provider knows it.
pub fn find(product: Product, name: &str) -> Option<&'static Action> {
    ACTIONS
        .iter()
        .find(|a| a.product == product && a.name == name)
}

/// The method to send `name` with: its definition's, or `POST` (the SDKs' RPC default) for an
/// action not in the table.
pub fn method_of(product: Product, name: &str) -> Method {
    find(product, name).map_or(Method::Post, |a| a.method)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The action names a typed-call module passes to `Client::call`, read from its source.
    fn called_actions(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        let mut rest = source;
        while let Some(at) = rest.find(".call(") {
            rest = &rest[at + ".call(".len()..];
            let Some(open) = rest.find('"') else { break };
            let after = &rest[open + 1..];
            let Some(close) = after.find('"') else { break };
            found.push(after[..close].to_string());
        }
        found
    }

    /// Every action the typed modules call has a definition, so none silently gets the default.
    #[test]
    fn every_called_action_is_defined() {
        for (product, source) in [
            (Product::Polardb, include_str!("../polardb.rs")),
            (Product::Polardbx, include_str!("../polardbx.rs")),
        ] {
            let called = called_actions(source);
            assert!(!called.is_empty(), "{product:?}: no calls found");
            for name in called {
                assert!(
                    find(product, &name).is_some(),
                    "{product:?} {name} has no definition in ACTIONS"
                );
            }
        }
    }

    /// The methods are the official SDK's: GET only for PolarDB-X DescribeBackupSetList.
    #[test]
    fn methods_are_the_sdks() {
        assert_eq!(
            method_of(Product::Polardbx, "DescribeBackupSetList"),
            Method::Get
        );
        for a in ACTIONS.iter().filter(|a| a.name != "DescribeBackupSetList") {
            assert_eq!(a.method, Method::Post, "{a:?}");
        }
        assert_eq!(method_of(Product::Polardb, "Unknown"), Method::Post);
        assert_eq!(Method::Get.as_str(), "GET");
    }
}
