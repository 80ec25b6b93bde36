//! The fixed log endpoints of SPEC §5.4 (public): checkpoint, entries, inclusion and
//! consistency proofs, an item's history with inclusion proofs, and every key ever used.

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::crypto::merkle::{consistency_proof, hash_to_b64, inclusion_proof};
use crate::domain::{ItemCode, Refusal};
use crate::log::keyring::{self, PublishedKey};
use crate::log::{DbNodes, SignedCheckpoint};
use crate::service::ingest::InclusionProof;
use crate::service::AppState;
use crate::store::StoreError;

/// Most entries one `GET /log/entries` returns.
pub const MAX_ENTRIES_PER_REQUEST: u64 = 1000;
/// Most entries of one item's history.
pub const MAX_HISTORY_ENTRIES: usize = 10_000;

fn bad_range(en: String, zh: String) -> ApiError {
    crate::domain::Refusal::new(crate::domain::RefusalKind::Malformed, "bad_range", en, zh).into()
}

fn latest(st: &AppState) -> ApiResult<SignedCheckpoint> {
    st.log.latest().ok_or_else(ApiError::internal)
}

/// The latest signed checkpoint (C2SP tlog-checkpoint).
#[utoipa::path(get, path = "/log/checkpoint", tag = "log",
    responses((status = 200, description = "the checkpoint note", content_type = "text/plain; charset=utf-8", body = String)))]
pub async fn checkpoint(State(st): State<AppState>) -> ApiResult<Response> {
    let cp = latest(&st)?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], cp.note).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EntriesParams {
    /// First entry index.
    pub start: u64,
    /// One past the last entry index; at most 1000 more than `start`.
    pub end: u64,
}

/// Entries `start..end` (at most 1000), one entry's exact bytes per line.
#[utoipa::path(get, path = "/log/entries", tag = "log", params(EntriesParams),
    responses((status = 200, description = "entries", content_type = "application/x-ndjson", body = String),
        (status = 400, body = ErrorBody)))]
pub async fn entries(State(st): State<AppState>, ApiQuery(p): ApiQuery<EntriesParams>) -> ApiResult<Response> {
    let size = latest(&st)?.size;
    if p.start >= p.end {
        return Err(bad_range("start must be below end".into(), "start应小于end".into()));
    }
    if p.end - p.start > MAX_ENTRIES_PER_REQUEST {
        return Err(bad_range(
            format!("at most {MAX_ENTRIES_PER_REQUEST} entries per request"),
            format!("每次最多请求{MAX_ENTRIES_PER_REQUEST}个条目"),
        ));
    }
    if p.end > size {
        return Err(bad_range(
            format!("end {} is beyond the latest checkpoint's size {size}", p.end),
            format!("end {}超出最新检查点的大小{size}", p.end),
        ));
    }
    let body = st
        .db
        .read(move |conn| crate::log::read::entries_ndjson(conn, p.start, p.end))
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InclusionParams {
    pub index: u64,
    pub size: u64,
}

/// An RFC 9162 inclusion proof of entry `index` in the tree of `size` entries.
#[utoipa::path(get, path = "/log/proof/inclusion", tag = "log", params(InclusionParams),
    responses((status = 200, body = InclusionProof), (status = 400, body = ErrorBody)))]
pub async fn inclusion(
    State(st): State<AppState>,
    ApiQuery(p): ApiQuery<InclusionParams>,
) -> ApiResult<Json<InclusionProof>> {
    let size = latest(&st)?.size;
    if p.index >= p.size || p.size > size {
        return Err(bad_range(
            format!("need index < size <= {size}"),
            format!("应满足 index < size <= {size}"),
        ));
    }
    let (index, tree) = (p.index, p.size);
    let hashes = st
        .db
        .read(move |conn| inclusion_proof(&DbNodes(conn), index, tree).map_err(|e| StoreError::Other(format!("{e:?}"))))
        .await?;
    Ok(Json(InclusionProof {
        index,
        size: tree,
        hashes: hashes.iter().map(hash_to_b64).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyParams {
    pub old: u64,
    pub new: u64,
}

#[derive(Serialize, ToSchema)]
pub struct ConsistencyProof {
    pub old: u64,
    pub new: u64,
    pub hashes: Vec<String>,
}

/// An RFC 9162 consistency proof between tree sizes `old` and `new`.
#[utoipa::path(get, path = "/log/proof/consistency", tag = "log", params(ConsistencyParams),
    responses((status = 200, body = ConsistencyProof), (status = 400, body = ErrorBody)))]
pub async fn consistency(
    State(st): State<AppState>,
    ApiQuery(p): ApiQuery<ConsistencyParams>,
) -> ApiResult<Json<ConsistencyProof>> {
    let size = latest(&st)?.size;
    if p.old == 0 || p.old > p.new || p.new > size {
        return Err(bad_range(
            format!("need 0 < old <= new <= {size}"),
            format!("应满足 0 < old <= new <= {size}"),
        ));
    }
    let (old, new) = (p.old, p.new);
    let hashes = st
        .db
        .read(move |conn| consistency_proof(&DbNodes(conn), old, new).map_err(|e| StoreError::Other(format!("{e:?}"))))
        .await?;
    Ok(Json(ConsistencyProof {
        old,
        new,
        hashes: hashes.iter().map(hash_to_b64).collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    pub index: u64,
    /// The entry's exact bytes.
    pub entry: String,
    /// Inclusion proof hashes against the checkpoint of this answer.
    pub inclusion_proof: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct History {
    pub item: String,
    /// The checkpoint every proof of this answer is against.
    pub checkpoint: String,
    pub size: u64,
    pub entries: Vec<HistoryEntry>,
}

/// Every entry of an item, each with its index and an inclusion proof against one checkpoint.
#[utoipa::path(get, path = "/api/v1/items/{code}/history", tag = "log",
    params(("code" = String, Path, description = "37-character item code")),
    responses((status = 200, body = History), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn history(State(st): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<History>> {
    let code = ItemCode::parse(&code)?;
    let cp = latest(&st)?;
    let item = code.to_string();
    let size = cp.size;
    let entries: Vec<HistoryEntry> = st
        .db
        .read(move |conn| crate::log::read::item_entries(conn, &item, size, MAX_HISTORY_ENTRIES))
        .await?
        .into_iter()
        .map(|e| HistoryEntry {
            index: e.seq,
            entry: e.entry,
            inclusion_proof: e.proof.iter().map(hash_to_b64).collect(),
        })
        .collect();
    if entries.is_empty() {
        return Err(Refusal::not_found(
            "unknown_item",
            format!("no item {code} is in the log"),
            format!("日志中没有物品{code}"),
        )
        .into());
    }
    Ok(Json(History {
        item: code.to_string(),
        checkpoint: cp.note,
        size: cp.size,
        entries,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct KeyList {
    pub keys: Vec<PublishedKey>,
}

/// Every key the service has ever used or accepted (SPEC §2): all a phone needs to verify a
/// label with no network. Cacheable: an `ETag` over the body, `Cache-Control: public,
/// no-cache`, and `304 Not Modified` when `If-None-Match` names the current tag.
#[utoipa::path(get, path = "/api/v1/keys", tag = "log",
    params(("If-None-Match" = Option<String>, Header, description = "the ETag of a copy held; answered 304 while it is current")),
    responses(
        (status = 200, body = KeyList, headers(("ETag" = String, description = "strong tag of the body"),
            ("Cache-Control" = String, description = "public, no-cache"))),
        (status = 304, description = "the copy named by If-None-Match is current")))]
pub async fn keys(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let keys = st.db.read(keyring::published_keys).await?;
    super::cache::json(&headers, &KeyList { keys })
}
