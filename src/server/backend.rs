//! The server's [`Backend`] over reprint's [`Index`]: each call one index transaction, answered
//! in the JSON that `reprint index add` and `check` print.

use serde_json::{json, Value};

use super::Backend;
use crate::corpus::Document;
use crate::index::{AddOptions, Index, IndexError, Match};

fn matches(found: &[Match]) -> Value {
    Value::Array(
        found
            .iter()
            .map(|m| serde_json::to_value(m.record()).unwrap_or(Value::Null))
            .collect(),
    )
}

fn message(e: IndexError) -> String {
    e.to_string()
}

impl Backend for Index {
    fn check(&self, doc: &Document) -> Result<Value, String> {
        let found = Index::check(self, doc).map_err(message)?;
        Ok(json!({ "id": doc.id, "matches": matches(&found) }))
    }

    fn add(&self, docs: Vec<Document>) -> Result<Vec<Value>, String> {
        let results = self
            .add_batch(&docs, AddOptions::default())
            .map_err(message)?;
        Ok(results
            .iter()
            .map(|r| {
                let mut answer = json!({
                    "id": r.id,
                    "status": r.status.name(),
                    "matches": matches(&r.matches),
                });
                if let Some(reason) = r.status.reason() {
                    answer["reason"] = Value::from(reason);
                }
                answer
            })
            .collect())
    }

    fn remove(&self, id: &str) -> Result<bool, String> {
        Index::remove(self, id).map_err(message)
    }

    fn get(&self, id: &str) -> Result<Option<Value>, String> {
        let Some(doc) = Index::get(self, id).map_err(message)? else {
            return Ok(None);
        };
        let cluster = self.cluster_of(id).map_err(message)?;
        Ok(Some(json!({
            "id": doc.id,
            "meta": doc.meta,
            "words": doc.text.split_whitespace().count(),
            "cluster": cluster,
        })))
    }

    fn stats(&self) -> Result<Value, String> {
        let stats = Index::stats(self).map_err(message)?;
        serde_json::to_value(stats).map_err(|e| e.to_string())
    }
}
