use uuid::Uuid;

use crate::{FieldError, parse_id};

const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 1000;

/// A page size as AIP-158 says: 0 means the default, sizes above the maximum are reduced to
/// it, a negative size is refused.
pub fn parse_page_size(page_size: i32) -> Result<u32, FieldError> {
    match u32::try_from(page_size) {
        Err(_) => Err(FieldError::new("page_size", "must not be negative")),
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
    }
}

/// One page of a listing ordered by id (UUID v7, so by creation time): at most `size` items
/// after (or, newest first, before) the id in the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub size: u32,
    pub after: Option<Uuid>,
}

impl PageRequest {
    /// Reads `page_size` and `page_token` as AIP-158 says: 0 means the default, sizes above
    /// the maximum are reduced to it, a negative size or a token this service did not hand
    /// out is the caller's mistake.
    pub fn parse(page_size: i32, page_token: &str) -> Result<Self, FieldError> {
        let size = parse_page_size(page_size)?;
        let after = match page_token {
            "" => None,
            token => Some(parse_id("page_token", token).map_err(|_| {
                FieldError::new("page_token", "is not a token from a previous page")
            })?),
        };
        Ok(Self { size, after })
    }

    /// How many rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.size) + 1
    }
}

/// A page of items and the token of the next page, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<Uuid>,
}

impl<T> Page<T> {
    /// Cuts rows fetched with [`PageRequest::fetch_limit`] to the page, and takes the token
    /// from the last item kept.
    pub fn from_rows(mut rows: Vec<T>, request: PageRequest, id_of: impl Fn(&T) -> Uuid) -> Self {
        let size = request.size as usize;
        let next_page_token = if rows.len() > size {
            rows.truncate(size);
            rows.last().map(id_of)
        } else {
            None
        };
        Self {
            items: rows,
            next_page_token,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_page_token: self.next_page_token,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::new_id;

    #[test]
    fn a_page_size_of_zero_means_the_default() {
        assert_eq!(PageRequest::parse(0, "").map(|p| p.size), Ok(50));
    }

    #[test]
    fn a_page_size_above_the_maximum_is_reduced() {
        assert_eq!(PageRequest::parse(5000, "").map(|p| p.size), Ok(1000));
    }

    #[test]
    fn a_negative_page_size_is_refused() {
        assert_eq!(
            PageRequest::parse(-1, ""),
            Err(FieldError::new("page_size", "must not be negative"))
        );
    }

    #[test]
    fn a_foreign_page_token_is_refused() {
        assert_eq!(
            PageRequest::parse(10, "abc").map_err(|e| e.field),
            Err("page_token".to_owned())
        );
    }

    #[test]
    fn a_full_page_points_to_the_next() {
        let ids: Vec<Uuid> = (0..4).map(|_| new_id()).collect();
        let request = PageRequest::parse(3, "").unwrap();
        let page = Page::from_rows(ids.clone(), request, |id| *id);
        assert_eq!(page.items, ids[..3]);
        assert_eq!(page.next_page_token, Some(ids[2]));
    }

    #[test]
    fn the_last_page_has_no_next_token() {
        let ids: Vec<Uuid> = (0..3).map(|_| new_id()).collect();
        let request = PageRequest::parse(3, "").unwrap();
        let page = Page::from_rows(ids, request, |id| *id);
        assert_eq!(page.next_page_token, None);
    }
}
