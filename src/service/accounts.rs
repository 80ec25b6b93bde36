//! Accounts: users with argon2id password hashes, browser sessions (HTTP-only cookie plus a
//! CSRF token) and API bearer tokens. Secrets are stored only as SHA-256 digests, so a copy
//! of the database does not let anyone in.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Duration;
use rand::RngCore;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::domain::access::Caller;
use crate::domain::{text, District, Refusal, Uscc, UserRole};
use crate::store::{Db, StoreError, StoreResult};
use crate::time::{now, now_rfc3339, rfc3339};

/// A browser session lasts this long after login.
pub const SESSION_TTL_HOURS: i64 = 12;
/// Most API tokens one user may hold.
pub const MAX_TOKENS_PER_USER: i64 = 50;

/// A user as shown by the API (never with the password hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub enterprise: Option<String>,
    pub district: Option<String>,
    pub created_at: String,
}

/// A request to create a user.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub role: String,
    #[serde(default)]
    pub enterprise: Option<String>,
    #[serde(default)]
    pub district: Option<String>,
}

/// A user request checked field by field.
struct CheckedUser {
    username: String,
    display_name: String,
    role: UserRole,
    enterprise: Option<Uscc>,
    district: Option<District>,
}

fn check_username(u: &str) -> Result<String, Refusal> {
    let ok = (3..=64).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if ok {
        Ok(u.to_owned())
    } else {
        Err(Refusal::invalid(
            "bad_username",
            "username must be 3-64 letters, digits, '.', '_', '-' or '@'",
            "用户名应为3-64个字母、数字或“.”、“_”、“-”、“@”",
        ))
    }
}

fn check_new_user(n: &NewUser) -> Result<CheckedUser, Refusal> {
    let username = check_username(&n.username)?;
    crate::domain::password::check(&n.password, &username)?;
    let display_name = text::required("display_name", &n.display_name, 64)?;
    let role = UserRole::parse(&n.role)?;
    let enterprise = n.enterprise.as_deref().map(Uscc::parse).transpose()?;
    let district = n.district.as_deref().map(District::parse).transpose()?;
    if role.is_enterprise() != enterprise.is_some() {
        return Err(Refusal::invalid(
            "bad_user_scope",
            "enterprise users must name their enterprise, and only they may",
            "企业用户必须且只有企业用户可以指定所属企业",
        ));
    }
    if (role == UserRole::Regulator) != district.is_some() {
        return Err(Refusal::invalid(
            "bad_user_scope",
            "regulators must name their district, and only they may",
            "监管用户必须且只有监管用户可以指定所辖区县",
        ));
    }
    Ok(CheckedUser {
        username,
        display_name,
        role,
        enterprise,
        district,
    })
}

fn hash_password(password: &str) -> StoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Other(format!("argon2: {e}")))
}

fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Checks and creates a user. The password is hashed off the writer thread.
pub async fn create_user(db: &Db, new: NewUser) -> StoreResult<User> {
    let checked = check_new_user(&new)?;
    let password = new.password;
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| StoreError::Other(e.to_string()))??;
    db.write(move |conn| insert_user(conn, &checked, &hash)).await
}

fn insert_user(conn: &Connection, u: &CheckedUser, hash: &str) -> StoreResult<User> {
    let taken: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM users WHERE username = ?1)",
        [&u.username],
        |r| r.get(0),
    )?;
    if taken {
        return Err(Refusal::conflict(
            "username_taken",
            format!("username '{}' is taken", u.username),
            format!("用户名“{}”已被使用", u.username),
        )
        .into());
    }
    if let Some(e) = &u.enterprise {
        crate::service::registry::enterprise_district(conn, e)?;
    }
    if let Some(d) = &u.district {
        crate::service::registry::check_district(conn, d)?;
    }
    conn.execute(
        "INSERT INTO users(username, display_name, password_hash, role, enterprise, district, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            u.username,
            u.display_name,
            hash,
            u.role.code(),
            u.enterprise.as_ref().map(Uscc::as_str),
            u.district.as_ref().map(District::as_str),
            now_rfc3339()
        ],
    )?;
    get_user(conn, conn.last_insert_rowid())
}

const USER_COLUMNS: &str = "id, username, display_name, role, enterprise, district, created_at";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: r.get(3)?,
        enterprise: r.get(4)?,
        district: r.get(5)?,
        created_at: r.get(6)?,
    })
}

pub fn get_user(conn: &Connection, id: i64) -> StoreResult<User> {
    Ok(conn.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"),
        [id],
        user_row,
    )?)
}

pub fn list_users(conn: &Connection) -> StoreResult<Vec<User>> {
    let mut stmt = conn.prepare(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"))?;
    let users = stmt.query_map([], user_row)?.collect::<rusqlite::Result<_>>()?;
    Ok(users)
}

fn caller_of(user: &User) -> StoreResult<Caller> {
    Ok(Caller {
        user_id: user.id,
        username: user.username.clone(),
        role: UserRole::parse(&user.role)?,
        enterprise: user.enterprise.as_deref().map(Uscc::parse).transpose()?,
        district: user.district.as_deref().map(District::parse).transpose()?,
    })
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

fn bad_credentials() -> Refusal {
    Refusal::new(
        crate::domain::RefusalKind::Unauthenticated,
        "bad_credentials",
        "wrong username or password",
        "用户名或密码错误",
    )
}

/// A new browser session: the cookie secret (sent once) and its CSRF token.
pub struct NewSession {
    pub token: String,
    pub csrf_token: String,
    pub user: User,
}

/// Checks a password and opens a session. Unknown users cost the same hashing time as known
/// ones, so timing does not reveal which usernames exist.
pub async fn login(db: &Db, username: String, password: String) -> StoreResult<NewSession> {
    let found = db
        .read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id, password_hash FROM users WHERE username = ?1 AND disabled_at IS NULL",
                    [&username],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
                )
                .optional()?)
        })
        .await?;
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$wqgVJ8Krt0dnjbRxfJMAhNqRXD9VFPfA4l2gpoDLjOU";
    let (id, hash) = found.clone().unwrap_or((0, DUMMY.to_owned()));
    let ok = tokio::task::spawn_blocking(move || password_matches(&password, &hash))
        .await
        .map_err(|e| StoreError::Other(e.to_string()))?;
    if !ok || found.is_none() {
        return Err(bad_credentials().into());
    }
    let token = random_hex(32);
    let csrf_token = random_hex(32);
    let (t, c) = (token.clone(), csrf_token.clone());
    let user = db
        .write(move |conn| {
            let created = now();
            conn.execute("DELETE FROM sessions WHERE expires_at < ?1", [rfc3339(created)])?;
            conn.execute(
                "INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![digest(&t), id, c, rfc3339(created), rfc3339(created + Duration::hours(SESSION_TTL_HOURS))],
            )?;
            get_user(conn, id)
        })
        .await?;
    Ok(NewSession {
        token,
        csrf_token,
        user,
    })
}

/// The caller and CSRF token of a live session, if the cookie names one.
pub fn session_caller(conn: &Connection, token: &str) -> StoreResult<Option<(Caller, User, String)>> {
    let row = conn
        .query_row(
            "SELECT s.user_id, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND u.disabled_at IS NULL",
            params![digest(token), now_rfc3339()],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?;
    let Some((id, csrf)) = row else { return Ok(None) };
    let user = get_user(conn, id)?;
    Ok(Some((caller_of(&user)?, user, csrf)))
}

/// How often a token's `last_used_at` is brought up to date.
pub const TOKEN_TOUCH_MINUTES: i64 = 1;

/// The caller behind a bearer token, if it is live, and whether its `last_used_at` is older
/// than [`TOKEN_TOUCH_MINUTES`] (only then is a write queued to record the use).
pub fn token_caller(conn: &Connection, token: &str) -> StoreResult<Option<(Caller, User, bool)>> {
    let row: Option<(i64, bool)> = conn
        .query_row(
            "SELECT t.user_id, t.last_used_at IS NULL OR t.last_used_at < ?2
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
            params![digest(token), rfc3339(now() - Duration::minutes(TOKEN_TOUCH_MINUTES))],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((id, stale)) = row else { return Ok(None) };
    let user = get_user(conn, id)?;
    Ok(Some((caller_of(&user)?, user, stale)))
}

/// Records that a token was used, at most once a minute (to keep writes off the hot path).
pub async fn touch_token(db: &Db, token: String) {
    let result = db
        .write(move |conn| {
            let now = now();
            conn.execute(
                "UPDATE api_tokens SET last_used_at = ?1 WHERE token_hash = ?2 AND (last_used_at IS NULL OR last_used_at < ?3)",
                params![rfc3339(now), digest(&token), rfc3339(now - Duration::minutes(TOKEN_TOUCH_MINUTES))],
            )?;
            Ok(())
        })
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record token use");
    }
}

pub async fn logout(db: &Db, token: String) -> StoreResult<()> {
    db.write(move |conn| {
        conn.execute("DELETE FROM sessions WHERE token_hash = ?1", [digest(&token)])?;
        Ok(())
    })
    .await
}

/// An API token as listed (the secret is shown only once, at creation).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

/// A freshly created API token, with its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedToken {
    pub id: i64,
    pub name: String,
    /// The bearer secret; shown only in this answer.
    pub token: String,
}

pub async fn create_token(db: &Db, user_id: i64, name: &str) -> StoreResult<CreatedToken> {
    let name = text::required("name", name, 64)?;
    let token = format!("hwt_{}", random_hex(32));
    let secret = token.clone();
    db.write(move |conn| {
        let count: i64 = conn.query_row(
            "SELECT count(*) FROM api_tokens WHERE user_id = ?1 AND revoked_at IS NULL",
            [user_id],
            |r| r.get(0),
        )?;
        if count >= MAX_TOKENS_PER_USER {
            return Err(Refusal::new(
                crate::domain::RefusalKind::Limit,
                "too_many_tokens",
                format!("a user may hold at most {MAX_TOKENS_PER_USER} API tokens; revoke one first"),
                format!("每个用户最多持有{MAX_TOKENS_PER_USER}个API令牌，请先撤销一个"),
            )
            .into());
        }
        conn.execute(
            "INSERT INTO api_tokens(user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![user_id, name, digest(&secret), now_rfc3339()],
        )?;
        Ok(CreatedToken {
            id: conn.last_insert_rowid(),
            name,
            token: secret,
        })
    })
    .await
}

pub fn list_tokens(conn: &Connection, user_id: i64) -> StoreResult<Vec<ApiToken>> {
    let mut stmt = conn.prepare(
        "SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = ?1 AND revoked_at IS NULL ORDER BY id",
    )?;
    let rows = stmt
        .query_map([user_id], |r| {
            Ok(ApiToken {
                id: r.get(0)?,
                name: r.get(1)?,
                created_at: r.get(2)?,
                last_used_at: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub async fn revoke_token(db: &Db, user_id: i64, token_id: i64) -> StoreResult<()> {
    db.write(move |conn| {
        let n = conn.execute(
            "UPDATE api_tokens SET revoked_at = ?1 WHERE id = ?2 AND user_id = ?3 AND revoked_at IS NULL",
            params![now_rfc3339(), token_id, user_id],
        )?;
        if n == 0 {
            return Err(Refusal::not_found(
                "unknown_token",
                format!("you have no API token {token_id}"),
                format!("您没有编号为{token_id}的API令牌"),
            )
            .into());
        }
        Ok(())
    })
    .await
}
