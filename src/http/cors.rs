//! Which browser origins may call the API (CORS), from the `CORS_ORIGINS` setting.

use std::time::Duration;

use axum::http::{Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Which other origins a browser lets call the API (CORS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cors {
    /// Any origin: a public read API. No cookies are involved (writes carry their token in
    /// `Authorization`), so this lends a page nothing it does not have.
    #[default]
    AnyOrigin,
    /// Only these origins (`https://app.example.com`, exactly as browsers send them).
    Origins(Vec<String>),
    /// No cross-origin calls: browsers refuse them.
    Off,
}

impl std::str::FromStr for Cors {
    type Err = String;

    /// `*` (any origin), `none`, or origins separated by commas.
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text {
            "*" => return Ok(Cors::AnyOrigin),
            "" | "none" => return Ok(Cors::Off),
            _ => {}
        }
        let mut origins = Vec::new();
        for origin in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let (scheme, rest) = origin.split_once("://").ok_or_else(|| {
                format!("{origin:?} is not an origin such as https://app.example.com")
            })?;
            if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains('/') {
                return Err(format!(
                    "{origin:?} is not an origin such as https://app.example.com (a scheme and a host, no path)"
                ));
            }
            if header::HeaderValue::from_str(origin).is_err() {
                return Err(format!("{origin:?} is not a valid header value"));
            }
            origins.push(origin.to_string());
        }
        Ok(Cors::Origins(origins))
    }
}

impl Cors {
    /// The layer that answers preflights and marks answers for browsers; preflights are
    /// cached for a day.
    pub(super) fn layer(&self) -> CorsLayer {
        let layer = CorsLayer::new()
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
            .max_age(Duration::from_secs(24 * 60 * 60));
        match self {
            Cors::AnyOrigin => layer.allow_origin(AllowOrigin::any()),
            Cors::Origins(origins) => layer.allow_origin(AllowOrigin::list(
                origins
                    .iter()
                    .filter_map(|o| header::HeaderValue::from_str(o).ok()),
            )),
            Cors::Off => CorsLayer::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cors;

    #[test]
    fn cors_settings_read_any_none_or_a_list_of_origins() {
        assert_eq!("*".parse::<Cors>(), Ok(Cors::AnyOrigin));
        assert_eq!("none".parse::<Cors>(), Ok(Cors::Off));
        assert_eq!(
            "https://a.example, http://localhost:3000".parse::<Cors>(),
            Ok(Cors::Origins(vec![
                "https://a.example".into(),
                "http://localhost:3000".into()
            ]))
        );
        for bad in [
            "a.example",
            "https://a.example/app",
            "ftp://a.example",
            "https://",
        ] {
            assert!(bad.parse::<Cors>().is_err(), "{bad}");
        }
    }
}
