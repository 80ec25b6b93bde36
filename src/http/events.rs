//! Submitting signed custody events (SPEC §4). The device's signature is the authentication:
//! a phone that was offline syncs its queue here without a browser session, and asks what
//! became of an envelope whose answer it lost (by its key and nonce) without sending it again.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;
use utoipa::ToSchema;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use crate::crypto::dsse::Envelope;
use crate::domain::Refusal;
use crate::service::ingest::{self, Receipt, MAX_BATCH_EVENTS};
use crate::service::AppState;

/// A DSSE envelope (SPEC §4).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct EnvelopeDoc {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub payload: String,
    pub signatures: Vec<SignatureDoc>,
}

#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct SignatureDoc {
    pub keyid: String,
    pub sig: String,
}

/// Submits one signed event; answered once it is durable, with its index, the checkpoint that
/// includes it and an inclusion proof (and, for an event that creates items, their codes and
/// signed labels).
#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = EnvelopeDoc,
    responses((status = 201, body = Receipt, description = "logged; the receipt with index, checkpoint and inclusion proof"),
        (status = 400, body = ErrorBody, description = "not an envelope (`malformed_json`, `unknown_field`, `bad_field`)"),
        (status = 403, body = ErrorBody, description = "unknown, revoked or mismatched key, or a party the rules do not allow (refusals after the key and nonce checks are logged as `refusal` entries; docs/errors.md)"),
        (status = 404, body = ErrorBody, description = "an item, manifest or alert the event names is unknown"),
        (status = 409, body = ErrorBody, description = "replayed nonce, or a conflict with what is recorded"),
        (status = 422, body = ErrorBody, description = "a malformed event or one the custody rules refuse")))]
pub async fn submit(
    State(st): State<AppState>,
    ApiJson(envelope): ApiJson<Envelope>,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let receipt = ingest::submit(&st, envelope).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    /// Up to 1000 envelopes, e.g. a device's offline queue.
    #[schema(value_type = Vec<EnvelopeDoc>)]
    pub envelopes: Vec<Envelope>,
}

/// The outcome of one envelope of a batch: a receipt, or the refusal.
#[derive(Serialize, ToSchema)]
pub struct BatchResult {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchAnswer {
    pub accepted: usize,
    pub refused: usize,
    /// One result per envelope, in the order sent.
    pub results: Vec<BatchResult>,
}

/// Submits many envelopes at once (a print run, or a device's offline queue); each is checked
/// and answered on its own, those that pass their checks are applied in the order of their
/// events' times (ties in the order sent), and they share group commits.
#[utoipa::path(post, path = "/api/v1/events/batch", tag = "events", request_body = Batch,
    responses((status = 200, body = BatchAnswer), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn submit_batch(State(st): State<AppState>, ApiJson(batch): ApiJson<Batch>) -> ApiResult<Json<BatchAnswer>> {
    if batch.envelopes.is_empty() || batch.envelopes.len() > MAX_BATCH_EVENTS {
        return Err(Refusal::invalid(
            "bad_batch_size",
            format!("a batch holds 1-{MAX_BATCH_EVENTS} envelopes"),
            format!("一批应包含1-{MAX_BATCH_EVENTS}个签名信封"),
        )
        .into());
    }
    let mut results = Vec::with_capacity(batch.envelopes.len());
    for outcome in ingest::submit_many(&st, batch.envelopes).await {
        results.push(match outcome {
            Ok(receipt) => BatchResult {
                ok: true,
                receipt: Some(receipt),
                error: None,
            },
            Err(e) => {
                let e = ApiError::from(e);
                BatchResult {
                    ok: false,
                    receipt: None,
                    error: Some(ErrorBody {
                        error: e.code.into(),
                        message: e.message,
                        message_zh: e.message_zh,
                    }),
                }
            }
        });
    }
    let accepted = results.iter().filter(|r| r.ok).count();
    Ok(Json(BatchAnswer {
        accepted,
        refused: results.len() - accepted,
        results,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NonceParams {
    /// The device key's ID, 8 lower-case hex digits (the envelope's `keyid`).
    pub key_id: String,
    /// The event's nonce.
    pub nonce: String,
}

/// What became of an envelope: the entry that used its nonce.
#[derive(Serialize, ToSchema)]
pub struct NonceAnswer {
    pub key_id: String,
    pub nonce: String,
    /// The entry's index in the log.
    pub index: u64,
    /// `event` (accepted) or `refusal` (refused by the rules, logged).
    pub kind: String,
    /// For a `refusal`, the refusal the device was answered with.
    #[schema(value_type = Option<ErrorBody>)]
    pub refusal: Option<serde_json::Value>,
}

/// The log entry that used a device key's nonce, for a device that sent an envelope and lost
/// the answer (a batch whose connection dropped): sending it again is refused
/// `replayed_nonce`, and this says whether it was logged as an event (with its index) or
/// refused by the rules (with the refusal). Public, as the log is.
#[utoipa::path(get, path = "/api/v1/events/by-nonce", tag = "events", params(NonceParams),
    responses((status = 200, body = NonceAnswer),
        (status = 400, body = ErrorBody, description = "a missing or unknown query parameter (`bad_query`)"),
        (status = 404, body = ErrorBody, description = "no entry used the nonce (`unknown_nonce`): the envelope was never logged"),
        (status = 422, body = ErrorBody, description = "`bad_key_id`, `bad_nonce`")))]
pub async fn by_nonce(State(st): State<AppState>, ApiQuery(p): ApiQuery<NonceParams>) -> ApiResult<Json<NonceAnswer>> {
    let key_id = crate::crypto::keys::KeyId::parse_hex(&p.key_id)
        .map_err(|_| {
            Refusal::invalid(
                "bad_key_id",
                "key_id must be 8 lower-case hex digits",
                "key_id应为8位小写十六进制",
            )
        })?
        .to_hex();
    crate::domain::event::check_nonce(&p.nonce)?;
    let (k, n) = (key_id.clone(), p.nonce.clone());
    let found = st
        .db
        .read(move |conn| crate::log::read::nonce_use(conn, &k, &n))
        .await?;
    let Some(used) = found else {
        return Err(Refusal::not_found(
            "unknown_nonce",
            format!("no envelope of key {key_id} with nonce {} is in the log", p.nonce),
            format!("日志中没有密钥{key_id}使用nonce {}的签名信封", p.nonce),
        )
        .into());
    };
    Ok(Json(NonceAnswer {
        key_id,
        nonce: p.nonce,
        index: used.index,
        kind: used.kind,
        refusal: used.refusal,
    }))
}
