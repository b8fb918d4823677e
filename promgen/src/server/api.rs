//! The control API: `/api/v1/series` to list, create, replace and delete series.

// A rejected request is answered at once: the error *is* the response, so it is returned
// by value rather than boxed.
#![allow(clippy::result_large_err)]

use super::{AppState, lock};
use crate::{
    config::{Config, ConfigErrors, utf8},
    registry::{RegistryError, SeriesInfo},
};
use axum::{
    Json, Router,
    body::Bytes,
    extract::{FromRequest, Path, Request, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/series", get(list).post(create))
        .route("/api/v1/series/{id}", get(one).put(replace).delete(remove))
}

pub(super) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn invalid(errors: &ConfigErrors) -> Response {
    let details: Vec<Value> = errors
        .errors()
        .iter()
        .map(|e| json!({ "field": e.path.as_str(), "message": e.message, "line": e.line, "column": e.column }))
        .collect();
    let summary = errors
        .errors()
        .iter()
        .map(|e| {
            if e.path.as_str().is_empty() {
                e.message.clone()
            } else {
                format!("{}: {}", e.path, e.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": summary, "errors": details })),
    )
        .into_response()
}

fn registry_error(e: &RegistryError) -> Response {
    let status = match e {
        RegistryError::NotFound(_) => StatusCode::NOT_FOUND,
        RegistryError::Duplicate(..)
        | RegistryError::TypeConflict { .. }
        | RegistryError::NameClash { .. }
        | RegistryError::ChurnLabel { .. } => StatusCode::CONFLICT,
        RegistryError::SourceMismatch(..) | RegistryError::ReservedLabel { .. } => {
            StatusCode::BAD_REQUEST
        }
    };
    // The body's field the refusal is about, as a 400 from the decoder names it.
    let field = match e {
        RegistryError::NameClash { .. } | RegistryError::TypeConflict { .. } => "name".to_owned(),
        RegistryError::ReservedLabel { reason, .. } => format!("labels.{}", reason.label),
        RegistryError::Duplicate(..) => "labels".to_owned(),
        RegistryError::ChurnLabel { label, .. } => format!("labels.{label}"),
        RegistryError::NotFound(_) | RegistryError::SourceMismatch(..) => {
            return error(status, e.to_string());
        }
    };
    let message = e.to_string();
    (
        status,
        Json(json!({ "error": message, "errors": [{ "field": field, "message": message }] })),
    )
        .into_response()
}

/// A listed series. `shape` is the shape as it was written (the DSL or notation text, or the
/// segments as JSON), and `definition` the body that recreates the series when POSTed.
fn info(s: &SeriesInfo) -> Value {
    let labels: serde_json::Map<String, Value> = s
        .labels
        .without_name()
        .map(|(k, v)| (k.to_owned(), Value::from(v)))
        .collect();
    // Written by the config decoder as JSON; a series added by a library user has none.
    let definition = s
        .definition
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok());
    json!({
        "id": s.id,
        "name": s.labels.name(),
        "series": s.labels.to_string(),
        "labels": labels,
        "type": s.metric_type.as_str(),
        "help": s.help,
        "shape": s.description,
        "definition": definition,
        "position": s.position,
        "ended": s.ended,
    })
}

/// With a token set, mutating routes need `Authorization: Bearer <token>`.
fn authorized(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    let Some(token) = &state.token else {
        return Ok(());
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given.is_some_and(|g| g.as_bytes() == token.as_bytes()) {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNAUTHORIZED,
            "this route needs `Authorization: Bearer <token>`",
        ))
    }
}

fn parse_id(id: &str) -> Result<u64, Response> {
    id.parse()
        .map_err(|_| error(StatusCode::NOT_FOUND, format!("no series with id {id:?}")))
}

/// A request body within the limit. Past it, the 413 is JSON like every other refusal,
/// whether the body announced its length or came in chunks.
pub(super) struct Body(Bytes);

impl FromRequest<AppState> for Body {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        match Bytes::from_request(request, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the body is larger than the limit of {} bytes",
                    state.body_limit
                ),
            )),
            Err(rejection) => Err(error(rejection.status(), rejection.body_text())),
        }
    }
}

/// The body as a series definition.
fn definition(Body(body): &Body) -> Result<crate::registry::SeriesDef, Response> {
    let text = utf8(body, "request").map_err(|e| invalid(&e))?;
    let metric = Config::parse_api_series(text).map_err(|e| invalid(&e))?;
    Ok(metric.series_def(&metric.series[0]))
}

async fn list(State(state): State<AppState>) -> Response {
    let series: Vec<Value> = lock(&state.registry).list().iter().map(info).collect();
    Json(json!({ "series": series })).into_response()
}

async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match lock(&state.registry).get(id) {
        Some(s) => Json(info(&s)).into_response(),
        None => registry_error(&RegistryError::NotFound(id)),
    }
}

async fn create(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    if let Err(r) = authorized(&state, &headers) {
        return r;
    }
    let def = match definition(&body) {
        Ok(def) => def,
        Err(r) => return r,
    };
    match lock(&state.registry).add(def) {
        Ok(id) => (StatusCode::CREATED, Json(json!({ "id": id }))).into_response(),
        Err(e) => registry_error(&e),
    }
}

async fn replace(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    if let Err(r) = authorized(&state, &headers) {
        return r;
    }
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let def = match definition(&body) {
        Ok(def) => def,
        Err(r) => return r,
    };
    match lock(&state.registry).replace(id, def) {
        Ok(()) => Json(json!({ "id": id })).into_response(),
        Err(e) => registry_error(&e),
    }
}

async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = authorized(&state, &headers) {
        return r;
    }
    let id = match parse_id(&id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    if lock(&state.registry).remove(id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        registry_error(&RegistryError::NotFound(id))
    }
}
