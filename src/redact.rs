//! `Debug` that prints only the fields it names: the one way a type holding secrets, handles or
//! noise writes its `Debug`, so that a field added later stays out of logs until someone lists it.

/// Implements `Debug` for `$ty` printing exactly the fields listed, then `..` for the rest
/// ([`std::fmt::DebugStruct::finish_non_exhaustive`]). A field is `name` (printed as `self.name`)
/// or `name: path.to.field` (printed as `name`, read from `self.path.to.field`).
///
/// ```text
/// debug_fields!(Backoff { base, cap, retries });
/// debug_fields!(AssumeRoleCredentials { base, role_arn: settings.role_arn, endpoint });
/// ```
macro_rules! debug_fields {
    ($ty:ident { $($name:ident $(: $($path:ident).+)?),* $(,)? }) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(
                        stringify!($name),
                        $crate::redact::debug_fields!(@field self $name $($($path).+)?),
                    ))*
                    .finish_non_exhaustive()
            }
        }
    };
    (@field $self:ident $name:ident) => {
        &$self.$name
    };
    (@field $self:ident $name:ident $($path:ident).+) => {
        &$self.$($path).+
    };
}
pub(crate) use debug_fields;

#[cfg(test)]
mod tests {
    struct Inner {
        arn: String,
    }

    struct Holder {
        name: String,
        inner: Inner,
        secret: String,
    }

    debug_fields!(Holder {
        name,
        arn: inner.arn
    });

    struct Opaque {
        _handle: u32,
    }

    debug_fields!(Opaque {});

    /// A listed field and a listed path print by name; a field not listed (the secret) does not.
    #[test]
    fn prints_listed_fields_only() {
        let h = Holder {
            name: "n".into(),
            inner: Inner {
                arn: "acs:ram::1:role/r".into(),
            },
            secret: "s3cr3t-value".into(),
        };
        let shown = format!("{h:?}");
        assert_eq!(
            shown,
            r#"Holder { name: "n", arn: "acs:ram::1:role/r", .. }"#
        );
        assert!(!shown.contains(&h.secret), "{shown}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    /// A type with no listed field prints its name and `..`.
    #[test]
    fn no_fields() {
        assert_eq!(format!("{:?}", Opaque { _handle: 7 }), "Opaque { .. }");
    }
}
