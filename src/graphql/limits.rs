//! Gives every error a stable `extensions.code` and marks requests that failed before execution
//! (parse, validation, limits) so the HTTP layer answers them with 400 and no `data`.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use async_graphql::{
    ErrorExtensionValues, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
    },
    parser::types::ExecutableDocument,
};

use super::errors::code;

/// Set when a request failed before any resolver ran.
#[derive(Clone, Debug, Default)]
pub struct RejectedBeforeExecution(Arc<AtomicBool>);

impl RejectedBeforeExecution {
    /// Whether the request was rejected before execution.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The extension factory installed on the schema.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|values| values.get("code").is_some())
}

fn set_code(error: &mut ServerError, value: &str) {
    error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", Value::from(value));
}

fn mark(ctx: &ExtensionContext<'_>) {
    if let Some(flag) = ctx.data_opt::<RejectedBeforeExecution>() {
        flag.set();
    }
}

/// Limit errors of async-graphql's parsing and validation, by the words of its messages.
fn is_limit_error(message: &str) -> bool {
    [
        "too complex",
        "nested too deep",
        "recursive depth",
        "recursion depth",
        "directives",
    ]
    .iter()
    .any(|words| message.contains(words))
}

/// Charges the caller's bucket (the signed-in user's, else the client IP's) the request's cost,
/// before any resolver runs; an empty bucket answers `RATE_LIMITED` with `retryAfter` (seconds),
/// which HTTP turns into 429.
fn charge(ctx: &ExtensionContext<'_>, complexity: usize) -> Result<(), Vec<ServerError>> {
    // No context (the SDL's schema) or no caller (an in-process call): nothing to charge.
    let (Some(app), Some(key)) = (
        ctx.data_opt::<crate::app::App>(),
        ctx.data_opt::<super::context::RequestAuth>()
            .and_then(super::context::RequestAuth::rate_key),
    ) else {
        return Ok(());
    };
    app.rate_limiter
        .charge(&key, complexity, app.now())
        .map_err(|wait| {
            mark(ctx);
            let seconds = wait.num_seconds() + i64::from(wait.subsec_nanos() > 0);
            let mut error = ServerError::new(
                format!(
                    "Too many requests: this costs {complexity} points; try again in {seconds} s."
                ),
                None,
            );
            set_code(&mut error, code::RATE_LIMITED);
            error
                .extensions
                .get_or_insert_with(ErrorExtensionValues::default)
                .set("retryAfter", Value::from(seconds));
            vec![error]
        })
}

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            if has_code(error) {
                continue;
            }
            if error.source.is_some() {
                // An error that escaped without going through `ApiError` (a `?` on a foreign
                // error): its text may hold SQL or a network's answer, so it never leaves.
                tracing::error!(error = %error.message, "uncoded error in a GraphQL resolver");
                error.message = "Internal error.".to_owned();
                set_code(error, code::INTERNAL);
            } else {
                // async-graphql's own input coercion errors (a bad argument value).
                set_code(error, code::BAD_USER_INPUT);
            }
        }
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await.map_err(|mut error| {
            mark(ctx);
            // A document that does not parse still cost us the parsing: one point, and an empty
            // bucket answers for it.
            if let Err(mut limited) = charge(ctx, 1) {
                return limited.remove(0);
            }
            let value = if is_limit_error(&error.message) {
                code::QUERY_TOO_COMPLEX
            } else {
                code::GRAPHQL_PARSE_FAILED
            };
            set_code(&mut error, value);
            error
        })?;
        if let Some(refusal) = super::document_size::size(&document).refusal() {
            mark(ctx);
            if let Err(mut limited) = charge(ctx, 1) {
                return Err(limited.remove(0));
            }
            let mut error = ServerError::new(refusal, None);
            set_code(&mut error, code::QUERY_TOO_COMPLEX);
            return Err(error);
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await.map_err(|mut errors| {
            mark(ctx);
            if let Err(limited) = charge(ctx, 1) {
                return limited;
            }
            for error in &mut errors {
                let value = if is_limit_error(&error.message) {
                    code::QUERY_TOO_COMPLEX
                } else {
                    code::GRAPHQL_VALIDATION_FAILED
                };
                set_code(error, value);
            }
            errors
        })?;
        charge(ctx, result.complexity)?;
        Ok(result)
    }
}
