//! The caller a verified token names, and what each kind of caller may do.

use serde::{Deserialize, Serialize};
use tonic::{Request, Status};
use uuid::Uuid;

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A shopper: their own payments and orders.
    Customer,
    /// A shop admin: everything.
    Admin,
    /// Another Plaza service calling on its own behalf (ordering pricing an order).
    Service,
}

/// Who is calling, as their verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Customer(Uuid),
    /// An operator, by the name their token was issued to.
    Admin(String),
    /// A Plaza service, by name.
    Service(String),
}

impl Caller {
    /// The caller [`Guarded`](crate::Guarded) verified for this request. UNAUTHENTICATED
    /// when there is none (a method the access table left public).
    pub fn of<T>(request: &Request<T>) -> Result<&Self, Status> {
        request.extensions().get::<Self>().ok_or_else(|| {
            Status::unauthenticated("a token is required: send `authorization: Bearer <token>`")
        })
    }

    pub fn role(&self) -> Role {
        match self {
            Self::Customer(_) => Role::Customer,
            Self::Admin(_) => Role::Admin,
            Self::Service(_) => Role::Service,
        }
    }

    /// The token's subject: the customer id, the admin's or the service's name.
    pub fn subject(&self) -> String {
        match self {
            Self::Customer(id) => id.to_string(),
            Self::Admin(name) | Self::Service(name) => name.clone(),
        }
    }

    pub fn is_admin(&self) -> bool {
        matches!(self, Self::Admin(_))
    }

    /// Customer `customer` themself, or an admin: PERMISSION_DENIED for anyone else.
    pub fn require_customer(&self, customer: Uuid) -> Result<(), Status> {
        match self {
            Self::Customer(id) if *id == customer => Ok(()),
            Self::Admin(_) => Ok(()),
            Self::Customer(_) => Err(Status::permission_denied(
                "this belongs to another customer",
            )),
            Self::Service(_) => Err(Status::permission_denied(
                "a service may not act for a customer",
            )),
        }
    }

    /// An admin: PERMISSION_DENIED for anyone else.
    pub fn require_admin(&self) -> Result<(), Status> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Status::permission_denied("this needs the admin role"))
        }
    }

    /// A Plaza service or an admin: PERMISSION_DENIED for customers.
    pub fn require_service(&self) -> Result<(), Status> {
        match self {
            Self::Service(_) | Self::Admin(_) => Ok(()),
            Self::Customer(_) => Err(Status::permission_denied(
                "only Plaza's own services make this call",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_may_act_only_for_themself() {
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        let caller = Caller::Customer(me);
        assert!(caller.require_customer(me).is_ok());
        let refused = caller.require_customer(other).unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
        assert!(caller.require_admin().is_err());
        assert!(caller.require_service().is_err());
    }

    #[test]
    fn an_admin_may_do_everything() {
        let admin = Caller::Admin("alice".to_owned());
        assert!(admin.require_customer(Uuid::now_v7()).is_ok());
        assert!(admin.require_admin().is_ok());
        assert!(admin.require_service().is_ok());
    }

    #[test]
    fn a_service_may_make_service_calls_only() {
        let ordering = Caller::Service("ordering".to_owned());
        assert!(ordering.require_service().is_ok());
        assert!(ordering.require_admin().is_err());
        assert!(ordering.require_customer(Uuid::now_v7()).is_err());
    }
}
