//! The emulator's error catalogue: every code, message and HTTP status it answers with, in one
//! place, shaped like Alibaba Cloud's gateway errors.

use std::fmt;

/// A refused request: Alibaba's `Code`, `Message` and the HTTP status that goes with them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiFailure {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)
    }
}

impl ApiFailure {
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> ApiFailure {
        ApiFailure {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// A required parameter is absent: the gateway's `Missing<Name>` pattern.
    pub fn missing(name: &str) -> ApiFailure {
        ApiFailure::new(
            400,
            format!("Missing{name}"),
            format!("{name} is mandatory for this action."),
        )
    }

    /// A parameter has an unusable value: the `Invalid<Name>.Malformed` pattern.
    pub fn malformed(name: &str) -> ApiFailure {
        ApiFailure::new(
            400,
            format!("Invalid{name}.Malformed"),
            format!("The specified parameter {name} is not valid."),
        )
    }

    pub fn signature_mismatch() -> ApiFailure {
        ApiFailure::new(
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        )
    }

    pub fn incomplete_signature() -> ApiFailure {
        ApiFailure::new(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        )
    }

    pub fn unsupported_signature_method() -> ApiFailure {
        ApiFailure::new(
            400,
            "InvalidSignatureMethod",
            "Specified signature method is not supported.",
        )
    }

    pub fn access_key_not_found() -> ApiFailure {
        ApiFailure::new(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        )
    }

    pub fn timestamp_expired() -> ApiFailure {
        ApiFailure::new(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        )
    }

    pub fn timestamp_format() -> ApiFailure {
        ApiFailure::new(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    }

    pub fn nonce_used() -> ApiFailure {
        ApiFailure::new(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        )
    }

    pub fn unknown_action() -> ApiFailure {
        ApiFailure::new(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )
    }

    pub fn unknown_version() -> ApiFailure {
        ApiFailure::new(
            400,
            "InvalidVersion",
            "Specified parameter Version is not valid.",
        )
    }

    /// A method the action does not accept (`get-only`). The real gateway's code for this is
    /// documented nowhere public; this is the emulator's reading (docs/api-notes.md, point 3).
    pub fn unsupported_method() -> ApiFailure {
        ApiFailure::new(
            400,
            "UnsupportedHTTPMethod",
            "This http method is not supported.",
        )
    }

    pub fn throttled() -> ApiFailure {
        ApiFailure::new(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )
    }

    pub fn internal_error() -> ApiFailure {
        ApiFailure::new(
            500,
            "InternalError",
            "The request processing has failed due to some unknown error, exception or failure.",
        )
    }

    pub fn service_unavailable() -> ApiFailure {
        ApiFailure::new(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        )
    }

    pub fn idempotent_mismatch() -> ApiFailure {
        ApiFailure::new(
            400,
            "IdempotentParameterMismatch",
            "The request uses the same client token as a previous, but non-identical request.",
        )
    }

    pub fn cluster_not_found() -> ApiFailure {
        ApiFailure::new(
            404,
            "InvalidDBCluster.NotFound",
            "The DBClusterId provided does not exist in our records.",
        )
    }

    pub fn cluster_status() -> ApiFailure {
        ApiFailure::new(
            403,
            "OperationDenied.DBClusterStatus",
            "The operation is not permitted due to status of cluster.",
        )
    }

    /// The fourth manual backup of a PolarDB cluster. The code and status are the documented
    /// ones; the message is the one the documentation tells users they will see.
    pub fn backup_quota() -> ApiFailure {
        ApiFailure::new(
            403,
            "BackupTimesExceeded",
            "Exceeding the daily backup times of this DB cluster.",
        )
    }

    pub fn backup_not_found() -> ApiFailure {
        ApiFailure::new(
            404,
            "InvalidBackupId.NotFound",
            "The specified backup set does not exist.",
        )
    }

    pub fn backup_status() -> ApiFailure {
        ApiFailure::new(
            403,
            "OperationDenied.BackupStatus",
            "The operation is not permitted due to status of backup.",
        )
    }

    pub fn instance_not_found() -> ApiFailure {
        ApiFailure::new(
            404,
            "InvalidDBInstanceName.NotFound",
            "The specified DBInstanceName does not exist.",
        )
    }

    pub fn instance_status() -> ApiFailure {
        ApiFailure::new(
            403,
            "OperationDenied.DBInstanceStatus",
            "The operation is not permitted due to status of instance.",
        )
    }
}
