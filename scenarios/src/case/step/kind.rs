//! [`step_kind!`], how every step kind's struct is declared: its own fields as written in the
//! file, then the optional `expect` table and `say` line every kind takes; unknown fields are
//! refused. Kinds declared `waits` (they poll for a status and show progress while they do)
//! also take `deadline` and `expected`.

/// Declares a step kind's struct: `Debug`, `Clone`, `Deserialize` with unknown fields refused,
/// the given fields, then (`waits` only) `deadline` and `expected`, then `expect` and `say`.
macro_rules! step_kind {
    ($(#[$attr:meta])* pub struct $name:ident waits { $($fields:tt)* }) => {
        step_kind! {
            $(#[$attr])*
            pub struct $name {
                $($fields)*
                /// Give up after this long (default 30s).
                #[serde(default)]
                pub deadline: Option<::shared::duration::Dur>,
                /// How long it is expected to take (sizes `demo`'s progress bar).
                #[serde(default)]
                pub expected: Option<::shared::duration::Dur>,
            }
        }
    };
    ($(#[$attr:meta])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$attr])*
        #[derive(Debug, Clone, ::serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            $($fields)*
            #[serde(default)]
            pub expect: $crate::case::expect::Expect,
            #[serde(default)]
            pub say: Option<String>,
        }
    };
}

pub(super) use step_kind;
