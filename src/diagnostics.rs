//! Every user-facing error and warning is built here, so that each says what happened, names the
//! attribute where there is one, says what to do, and (for API errors) carries the RequestId.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One step of an attribute path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Attribute(String),
    Key(String),
    Index(i64),
}

/// A path to an attribute, as Terraform shows it under a diagnostic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributePath {
    pub steps: Vec<PathStep>,
}

impl AttributePath {
    /// The path of the top-level attribute `name`.
    pub fn attr(name: &str) -> AttributePath {
        AttributePath {
            steps: vec![PathStep::Attribute(name.to_string())],
        }
    }

    /// This path extended by the attribute `name`.
    pub fn then(mut self, name: &str) -> AttributePath {
        self.steps.push(PathStep::Attribute(name.to_string()));
        self
    }

    /// This path extended by the collection index `i`.
    pub fn index(mut self, i: i64) -> AttributePath {
        self.steps.push(PathStep::Index(i));
        self
    }
}

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(a) if i == 0 => write!(f, "{a}")?,
                PathStep::Attribute(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// A diagnostic: summary (one line), detail (what happened and what to do), optional attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub attribute: Option<AttributePath>,
}

pub type Diagnostics = Vec<Diagnostic>;

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            attribute: None,
        }
    }

    /// Attaches the attribute the diagnostic is about.
    pub fn at(mut self, path: AttributePath) -> Diagnostic {
        self.attribute = Some(path);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True when any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// An attribute's value is invalid: names the attribute, says what was wrong and how to fix it.
pub fn invalid_attribute(name: &str, problem: &str, fix: &str) -> Diagnostic {
    Diagnostic::error(
        format!("Invalid value for \"{name}\""),
        format!("{problem}\n\n{fix}"),
    )
    .at(AttributePath::attr(name))
}

/// A gRPC request carried bytes that do not decode for the schema: a Terraform/provider mismatch.
pub fn undecodable(what: &str, err: &dyn std::fmt::Display) -> Diagnostic {
    Diagnostic::error(
        format!("Could not decode the {what}"),
        format!(
            "The provider could not decode the {what} Terraform sent: {err}. This is a bug in \
             Terraform or in the provider; please report it with the Terraform version."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paths print the way Terraform users write them.
    #[test]
    fn path_display() {
        let p = AttributePath::attr("timeouts").then("create");
        assert_eq!(p.to_string(), "timeouts.create");
        assert_eq!(
            AttributePath::attr("items").index(2).then("id").to_string(),
            "items[2].id"
        );
    }

    /// An invalid-attribute diagnostic names the attribute in summary and path, and says the fix.
    #[test]
    fn invalid_attribute_names_it() {
        let d = invalid_attribute("db_cluster_id", "\"x\" is not a cluster ID.", "Use pc-...");
        assert!(d.is_error());
        assert!(d.summary.contains("db_cluster_id"));
        assert!(d.detail.contains("Use pc-"));
        assert_eq!(d.attribute, Some(AttributePath::attr("db_cluster_id")));
    }
}
