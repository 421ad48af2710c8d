//! Redirects, followed by `http_get` and `http_request` themselves rather than by ureq, so
//! that each new host is checked against the grant as the first one was.

use ureq::http;

use super::hosts::Target;
use super::http::Request;

/// The request a redirect answer leads to, if it is one; as browsers do, a 303 (and a 301 or
/// 302 to anything but a GET or HEAD) becomes a GET without a body. Credentials go no further
/// than the server they were meant for.
pub(super) fn redirected(
    request: &Request,
    from: &Target,
    status: u16,
    headers: &[(String, String)],
) -> Option<Request> {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = headers
        .iter()
        .find(|(name, _)| name == "location")
        .map(|(_, value)| value)?;
    let mut next = request.clone();
    next.url = join(&request.url, location);
    let keeps_method = matches!(status, 307 | 308)
        || (status != 303 && request.method == "GET")
        || request.method == "HEAD";
    if !keeps_method {
        next.method = "GET".into();
        next.body = None;
        next.headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
    }
    if !Target::of_url(&next.url).is_ok_and(|to| to.same_server(from)) {
        next.headers.retain(|(name, _)| {
            !name.eq_ignore_ascii_case("authorization") && !name.eq_ignore_ascii_case("cookie")
        });
    }
    Some(next)
}

/// `location` (absolute, or relative as a redirect may give it) as seen from `base`.
fn join(base: &str, location: &str) -> String {
    let has_scheme = location.split_once(':').is_some_and(|(scheme, _)| {
        scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    let Ok(base) = base.parse::<http::Uri>() else {
        return location.to_string();
    };
    if has_scheme {
        return location.to_string();
    }
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map_or("", |a| a.as_str());
    let path = base.path();
    if let Some(rest) = location.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else if location.starts_with('?') {
        format!("{scheme}://{authority}{path}{location}")
    } else {
        let folder = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        format!("{scheme}://{authority}{folder}{location}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_location_is_read_from_the_url_it_answers() {
        let base = "http://a.test:8080/dir/page?x=1";
        assert_eq!(join(base, "https://b.test/"), "https://b.test/");
        assert_eq!(join(base, "//b.test/p"), "http://b.test/p");
        assert_eq!(join(base, "/top"), "http://a.test:8080/top");
        assert_eq!(join(base, "other"), "http://a.test:8080/dir/other");
        assert_eq!(join(base, "?y=2"), "http://a.test:8080/dir/page?y=2");
        assert_eq!(
            join(base, "next?u=http://c"),
            "http://a.test:8080/dir/next?u=http://c"
        );
    }
}
