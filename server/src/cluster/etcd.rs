//! A small etcd v3 client over etcd's JSON gateway (`POST /v3/...`), with
//! reqwest: leases, ranges, puts, deletes and transactions. Keys and
//! values travel base64-encoded; int64s come back as JSON strings.
//!
//! Only what the cluster needs, and no gRPC (no protoc, no generated
//! code). Every call goes to the first endpoint that answers; a
//! transaction retried on another endpoint after a time-out is safe
//! because every transaction the cluster sends compares before it writes.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

/// Why an etcd call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EtcdError {
    /// No endpoint answered.
    #[error("etcd unreachable: {0}")]
    Unreachable(String),
    /// etcd answered with an error.
    #[error("etcd refused {path}: {status}: {message}")]
    Refused {
        /// The gateway path called.
        path: &'static str,
        /// The HTTP status.
        status: u16,
        /// etcd's message.
        message: String,
    },
    /// The answer is not what etcd's API documents.
    #[error("etcd answer to {path} not understood: {detail}")]
    Invalid {
        /// The gateway path called.
        path: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The client could not be built.
    #[error("etcd client: {0}")]
    Client(String),
}

/// One key with its value and revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValue {
    /// The key.
    pub key: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
    /// The revision of the put that created the key (since its last
    /// deletion).
    pub create_revision: i64,
    /// The revision of the key's last change.
    pub mod_revision: i64,
    /// The lease the key is attached to (0: none).
    pub lease: i64,
}

/// A comparison of a transaction (always "equal").
#[derive(Debug, Clone)]
pub enum Compare {
    /// The key's create revision equals this (0: the key does not exist).
    CreateRevision(String, i64),
    /// The key is attached to this lease.
    Lease(String, i64),
    /// The key's value equals these bytes.
    Value(String, Vec<u8>),
}

/// An operation of a transaction.
#[derive(Debug, Clone)]
pub enum Op {
    /// Put `value` at `key`, attached to `lease` if given.
    Put {
        /// The key.
        key: String,
        /// The value.
        value: Vec<u8>,
        /// The lease to attach the key to.
        lease: Option<i64>,
    },
    /// Read one key.
    Get(String),
    /// Delete one key.
    Delete(String),
}

/// What a transaction did.
#[derive(Debug, Clone)]
pub struct TxnOutcome {
    /// Whether every comparison held (the success branch ran).
    pub succeeded: bool,
    /// The store's revision after the transaction: the revision of its
    /// writes, if it wrote.
    pub revision: i64,
    /// For each operation of the branch that ran, the keys a `Get` read
    /// (empty for puts and deletes).
    pub reads: Vec<Vec<KeyValue>>,
}

/// The etcd client.
#[derive(Debug)]
pub struct Etcd {
    http: reqwest::Client,
    endpoints: Vec<String>,
    /// The endpoint that answered last, tried first.
    preferred: AtomicUsize,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// An int64 the gateway writes as a string (or, rarely, a number).
fn int64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Int {
        Text(String),
        Number(i64),
    }
    match Int::deserialize(d)? {
        Int::Number(n) => Ok(n),
        Int::Text(t) => t.parse().map_err(serde::de::Error::custom),
    }
}

#[derive(Debug, Default, Deserialize)]
struct Header {
    #[serde(default, deserialize_with = "int64")]
    revision: i64,
}

#[derive(Debug, Deserialize)]
struct RawKeyValue {
    #[serde(default)]
    key: String,
    #[serde(default)]
    value: String,
    #[serde(default, deserialize_with = "int64")]
    create_revision: i64,
    #[serde(default, deserialize_with = "int64")]
    mod_revision: i64,
    #[serde(default, deserialize_with = "int64")]
    lease: i64,
}

impl RawKeyValue {
    fn decode(self, path: &'static str) -> Result<KeyValue, EtcdError> {
        let decode = |text: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| EtcdError::Invalid {
                    path,
                    detail: format!("base64: {e}"),
                })
        };
        Ok(KeyValue {
            key: decode(&self.key)?,
            value: decode(&self.value)?,
            create_revision: self.create_revision,
            mod_revision: self.mod_revision,
            lease: self.lease,
        })
    }
}

#[derive(Debug, Deserialize)]
struct RangeAnswer {
    #[serde(default)]
    kvs: Vec<RawKeyValue>,
}

impl Etcd {
    /// A client of the etcd cluster at `endpoints` (`http://host:port`),
    /// each call bounded by `timeout`.
    pub fn new(endpoints: &[String], timeout: Duration) -> Result<Self, EtcdError> {
        if endpoints.is_empty() {
            return Err(EtcdError::Client("no endpoint".into()));
        }
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| EtcdError::Client(e.to_string()))?;
        Ok(Self {
            http,
            endpoints: endpoints
                .iter()
                .map(|e| e.trim_end_matches('/').to_owned())
                .collect(),
            preferred: AtomicUsize::new(0),
        })
    }

    /// Posts `body` to `path` on the first endpoint that answers.
    async fn call<T: DeserializeOwned>(
        &self,
        path: &'static str,
        body: &Value,
    ) -> Result<T, EtcdError> {
        let start = self.preferred.load(Ordering::Relaxed);
        let mut last = String::new();
        for i in 0..self.endpoints.len() {
            let index = (start + i) % self.endpoints.len();
            let url = format!("{}{path}", self.endpoints[index]);
            let response = match self.http.post(&url).json(body).send().await {
                Ok(response) => response,
                Err(e) => {
                    last = format!("{url}: {e}");
                    continue;
                }
            };
            self.preferred.store(index, Ordering::Relaxed);
            let status = response.status();
            let bytes = response.bytes().await.map_err(|e| EtcdError::Invalid {
                path,
                detail: e.to_string(),
            })?;
            if !status.is_success() {
                let message = serde_json::from_slice::<Value>(&bytes)
                    .ok()
                    .and_then(|v| {
                        v.get("message")
                            .or_else(|| v.get("error"))
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned());
                return Err(EtcdError::Refused {
                    path,
                    status: status.as_u16(),
                    message,
                });
            }
            return serde_json::from_slice(&bytes).map_err(|e| EtcdError::Invalid {
                path,
                detail: e.to_string(),
            });
        }
        Err(EtcdError::Unreachable(last))
    }

    /// Grants a lease of `ttl_secs`; returns its id.
    pub async fn grant(&self, ttl_secs: u64) -> Result<i64, EtcdError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(rename = "ID", default, deserialize_with = "int64")]
            id: i64,
            #[serde(default)]
            error: String,
        }
        let answer: Answer = self
            .call("/v3/lease/grant", &json!({ "TTL": ttl_secs.to_string() }))
            .await?;
        if answer.id == 0 || !answer.error.is_empty() {
            return Err(EtcdError::Invalid {
                path: "/v3/lease/grant",
                detail: format!("no lease granted: {}", answer.error),
            });
        }
        Ok(answer.id)
    }

    /// Renews lease `id`; returns the seconds it now has, or `None` if etcd
    /// no longer knows it (expired or revoked).
    pub async fn keepalive(&self, id: i64) -> Result<Option<i64>, EtcdError> {
        // A streaming call: the gateway answers one `{"result": …}` line
        // per request line; a body of one request gets one answer.
        #[derive(Deserialize)]
        struct Answer {
            result: Option<Renewed>,
            error: Option<Value>,
        }
        #[derive(Deserialize)]
        struct Renewed {
            #[serde(rename = "TTL", default, deserialize_with = "int64")]
            ttl: i64,
        }
        let answer: Answer = self
            .call("/v3/lease/keepalive", &json!({ "ID": id.to_string() }))
            .await?;
        if let Some(error) = answer.error {
            return Err(EtcdError::Refused {
                path: "/v3/lease/keepalive",
                status: 200,
                message: error.to_string(),
            });
        }
        Ok(answer.result.map(|r| r.ttl).filter(|ttl| *ttl > 0))
    }

    /// Revokes lease `id`: every key attached to it is deleted at once.
    pub async fn revoke(&self, id: i64) -> Result<(), EtcdError> {
        let _: Value = self
            .call("/v3/lease/revoke", &json!({ "ID": id.to_string() }))
            .await?;
        Ok(())
    }

    /// The key `key`, if it exists.
    pub async fn get(&self, key: &str) -> Result<Option<KeyValue>, EtcdError> {
        let answer: RangeAnswer = self
            .call("/v3/kv/range", &json!({ "key": b64(key.as_bytes()) }))
            .await?;
        answer
            .kvs
            .into_iter()
            .next()
            .map(|kv| kv.decode("/v3/kv/range"))
            .transpose()
    }

    /// Every key that starts with `prefix`, in key order.
    pub async fn get_prefix(&self, prefix: &str) -> Result<Vec<KeyValue>, EtcdError> {
        let answer: RangeAnswer = self
            .call(
                "/v3/kv/range",
                &json!({
                    "key": b64(prefix.as_bytes()),
                    "range_end": b64(&prefix_end(prefix.as_bytes())),
                }),
            )
            .await?;
        answer
            .kvs
            .into_iter()
            .map(|kv| kv.decode("/v3/kv/range"))
            .collect()
    }

    /// Puts `value` at `key` (attached to `lease` if given); returns the
    /// revision of the put.
    pub async fn put(&self, key: &str, value: &[u8], lease: Option<i64>) -> Result<i64, EtcdError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            header: Header,
        }
        let mut body = json!({ "key": b64(key.as_bytes()), "value": b64(value) });
        if let Some(lease) = lease {
            body["lease"] = json!(lease.to_string());
        }
        let answer: Answer = self.call("/v3/kv/put", &body).await?;
        Ok(answer.header.revision)
    }

    /// Deletes `key`; returns how many keys were deleted (0 or 1).
    pub async fn delete(&self, key: &str) -> Result<i64, EtcdError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default, deserialize_with = "int64")]
            deleted: i64,
        }
        let answer: Answer = self
            .call("/v3/kv/deleterange", &json!({ "key": b64(key.as_bytes()) }))
            .await?;
        Ok(answer.deleted)
    }

    /// Runs a transaction: if every comparison in `compare` holds, the
    /// `success` operations, else the `failure` ones; atomically.
    pub async fn txn(
        &self,
        compare: &[Compare],
        success: &[Op],
        failure: &[Op],
    ) -> Result<TxnOutcome, EtcdError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            header: Header,
            #[serde(default)]
            succeeded: bool,
            #[serde(default)]
            responses: Vec<OpAnswer>,
        }
        #[derive(Deserialize)]
        struct OpAnswer {
            response_range: Option<RangeAnswer>,
        }
        let compare: Vec<Value> = compare.iter().map(compare_json).collect();
        let ops = |ops: &[Op]| ops.iter().map(op_json).collect::<Vec<_>>();
        let answer: Answer = self
            .call(
                "/v3/kv/txn",
                &json!({ "compare": compare, "success": ops(success), "failure": ops(failure) }),
            )
            .await?;
        let reads = answer
            .responses
            .into_iter()
            .map(|r| {
                r.response_range
                    .map_or_else(Vec::new, |range| range.kvs)
                    .into_iter()
                    .map(|kv| kv.decode("/v3/kv/txn"))
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TxnOutcome {
            succeeded: answer.succeeded,
            revision: answer.header.revision,
            reads,
        })
    }
}

fn compare_json(compare: &Compare) -> Value {
    match compare {
        Compare::CreateRevision(key, revision) => json!({
            "key": b64(key.as_bytes()), "result": "EQUAL", "target": "CREATE",
            "create_revision": revision.to_string(),
        }),
        Compare::Lease(key, lease) => json!({
            "key": b64(key.as_bytes()), "result": "EQUAL", "target": "LEASE",
            "lease": lease.to_string(),
        }),
        Compare::Value(key, value) => json!({
            "key": b64(key.as_bytes()), "result": "EQUAL", "target": "VALUE",
            "value": b64(value),
        }),
    }
}

fn op_json(op: &Op) -> Value {
    match op {
        Op::Put { key, value, lease } => {
            let mut put = json!({ "key": b64(key.as_bytes()), "value": b64(value) });
            if let Some(lease) = lease {
                put["lease"] = json!(lease.to_string());
            }
            json!({ "request_put": put })
        }
        Op::Get(key) => json!({ "request_range": { "key": b64(key.as_bytes()) } }),
        Op::Delete(key) => json!({ "request_delete_range": { "key": b64(key.as_bytes()) } }),
    }
}

/// The smallest key after every key that starts with `prefix` (etcd's
/// `range_end` for a prefix).
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    // All 0xff (or empty): every key from the prefix on.
    vec![0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_key() {
        assert_eq!(prefix_end(b"/a/"), b"/a0".to_vec());
        assert_eq!(prefix_end(&[b'a', 0xff]), b"b".to_vec());
        assert_eq!(prefix_end(&[0xff]), vec![0]);
    }

    #[test]
    fn int64s_come_as_strings_or_numbers() {
        let kv: RawKeyValue =
            serde_json::from_str(r#"{"key":"YQ==","create_revision":"7","mod_revision":8}"#)
                .expect("parse");
        let kv = kv.decode("/test").expect("decode");
        assert_eq!(
            (
                kv.key.as_slice(),
                kv.create_revision,
                kv.mod_revision,
                kv.lease
            ),
            (b"a".as_slice(), 7, 8, 0)
        );
    }
}
