//! An answer as a script gets it: `#{ status, headers, body }`, and `json` when asked for.

use rhai::{Dynamic, EvalAltResult, INT, Map, NativeCallContext};

use super::{Answer, Request, too_large};
use crate::capabilities::failed;
use crate::limits::memory::would_pass_cap;

impl Answer {
    /// `#{ status, headers, body }`, and `json` when the request asked for it: the body parsed
    /// by the batteries' `parse_json`. A body that is not JSON fails the call when the status
    /// is a success; another status's body (an error page) gives `json: ()`.
    pub(super) fn into_map(
        self,
        context: &NativeCallContext,
        function: &str,
        request: &Request,
    ) -> Result<Map, Box<EvalAltResult>> {
        let mut headers = Map::new();
        for (name, value) in self.headers {
            match headers.get_mut(name.as_str()) {
                Some(earlier) => *earlier = format!("{earlier}, {value}").into(),
                None => {
                    headers.insert(name.into(), value.into());
                }
            }
        }
        let mut body = self.body;
        body.shrink_to_fit();
        if would_pass_cap(body.len()) {
            return Err(too_large(function, &request.url));
        }
        let body = match String::from_utf8(body) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        let body = rhai::ImmutableString::from(body);
        let mut map = Map::new();
        if request.json {
            let json = match context.call_native_fn::<Dynamic>("parse_json", (body.clone(),)) {
                Ok(json) => json,
                Err(e) => match *e {
                    EvalAltResult::ErrorRuntime(why, _) if (200..300).contains(&self.status) => {
                        let why = why.to_string();
                        let why = why.strip_prefix("parse_json: ").unwrap_or(&why);
                        let why = format!("the answer of {} is {why}", request.url);
                        return Err(failed(function, why));
                    }
                    EvalAltResult::ErrorRuntime(..) => Dynamic::UNIT,
                    // What ends the job (its memory cap) ends it as it is.
                    other => return Err(other.into()),
                },
            };
            map.insert("json".into(), json);
        }
        map.insert("status".into(), Dynamic::from(INT::from(self.status)));
        map.insert("headers".into(), headers.into());
        map.insert("body".into(), body.into());
        Ok(map)
    }
}
