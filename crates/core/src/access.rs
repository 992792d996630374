//! Who may do what: staff roles, the permissions they hold, and the scopes an
//! API token is limited to. [`decide`] is the one place that answers "may
//! this caller do this"; the server's extractors ask it for every route.

use serde::Serialize;

/// A thing a staff member may be allowed to do. Each is also an API token
/// scope, spelled as [`Permission::scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Dashboards, surveys, responses, comments, themes, customers,
    /// segments, personas and channel settings: reading.
    ViewReports,
    /// Bulk downloads of responses and customers (CSV).
    ExportData,
    /// Recording responses through the API as staff (choosing the channel).
    SubmitResponses,
    /// Creating and editing surveys, opening and closing them, importing
    /// feedback into them.
    ManageSurveys,
    /// Personal links and email invitations; reporting bounces.
    SendInvitations,
    /// Customer records, their events, customer imports.
    ManageCustomers,
    /// Segments and personas.
    ManageSegments,
    /// The theme taxonomy.
    ManageTaxonomy,
    /// Customer attribute definitions (names and types).
    ManageAttributes,
    /// Inbound webhooks (and their secrets) and the website widget's origins.
    ManageIntegrations,
    /// A customer's data export and erasure, and the audit log.
    ManagePrivacy,
    /// Staff accounts, their roles, and anyone's API tokens.
    ManageUsers,
}

impl Permission {
    pub const ALL: [Permission; 12] = [
        Permission::ViewReports,
        Permission::ExportData,
        Permission::SubmitResponses,
        Permission::ManageSurveys,
        Permission::SendInvitations,
        Permission::ManageCustomers,
        Permission::ManageSegments,
        Permission::ManageTaxonomy,
        Permission::ManageAttributes,
        Permission::ManageIntegrations,
        Permission::ManagePrivacy,
        Permission::ManageUsers,
    ];

    /// The token scope that grants it.
    pub fn scope(self) -> &'static str {
        match self {
            Permission::ViewReports => "read",
            Permission::ExportData => "export",
            Permission::SubmitResponses => "responses",
            Permission::ManageSurveys => "surveys",
            Permission::SendInvitations => "invitations",
            Permission::ManageCustomers => "customers",
            Permission::ManageSegments => "segments",
            Permission::ManageTaxonomy => "taxonomy",
            Permission::ManageAttributes => "attributes",
            Permission::ManageIntegrations => "integrations",
            Permission::ManagePrivacy => "privacy",
            Permission::ManageUsers => "users",
        }
    }

    pub fn from_scope(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.scope() == s)
    }

    /// What it allows, for the pages that list scopes and roles.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::ViewReports => "read dashboards, surveys, responses, comments, customers, segments, personas",
            Permission::ExportData => "download responses and customers as CSV",
            Permission::SubmitResponses => "record responses through the API, naming the channel",
            Permission::ManageSurveys => "create, edit, open and close surveys; import feedback",
            Permission::SendInvitations => "make personal links, send invitations, report bounces",
            Permission::ManageCustomers => "create and edit customers and their events; import customers",
            Permission::ManageSegments => "create, edit and delete segments and personas",
            Permission::ManageTaxonomy => "edit the theme taxonomy",
            Permission::ManageAttributes => "define customer attributes and their types",
            Permission::ManageIntegrations => "manage inbound webhooks and the website widget",
            Permission::ManagePrivacy => "export or erase a customer's data; read the audit log",
            Permission::ManageUsers => "manage staff accounts, roles and everyone's API tokens",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A staff member's role: a fixed set of permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including staff accounts, integrations and privacy.
    Admin,
    /// Builds surveys, segments and taxonomies and analyses everything.
    Analyst,
    /// Front-line staff: reads reports, works with customers, sends invitations.
    Agent,
    /// Reads reports and nothing else.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Analyst, Role::Agent, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Agent => "agent",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a stored or typed role; `member`, the name of the agent role
    /// before there were four, is still understood.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "analyst" => Some(Role::Analyst),
            "agent" | "member" => Some(Role::Agent),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Role::Admin => "Admin: everything, including staff accounts, integrations and privacy requests",
            Role::Analyst => "Analyst: builds surveys, segments, personas and themes; exports",
            Role::Agent => "Agent: reads reports, works with customers, sends invitations",
            Role::Viewer => "Viewer: reads dashboards and reports only",
        }
    }

    /// The permissions the role holds.
    pub fn permissions(self) -> Permissions {
        use Permission::*;
        let list: &[Permission] = match self {
            Role::Admin => &Permission::ALL,
            Role::Analyst => &[
                ViewReports,
                ExportData,
                SubmitResponses,
                ManageSurveys,
                SendInvitations,
                ManageCustomers,
                ManageSegments,
                ManageTaxonomy,
                ManageAttributes,
            ],
            Role::Agent => &[ViewReports, SubmitResponses, SendInvitations, ManageCustomers],
            Role::Viewer => &[ViewReports],
        };
        Permissions::of(list)
    }
}

/// A set of permissions: a role's, or the scopes of an API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Permissions(u16);

impl Permissions {
    pub fn of(list: &[Permission]) -> Self {
        Permissions(list.iter().fold(0, |acc, p| acc | p.bit()))
    }

    /// What a new token gets when no scope is named: reading.
    pub fn read_only() -> Self {
        Permissions::of(&[Permission::ViewReports])
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn is_subset_of(self, other: Permissions) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL.into_iter().filter(move |p| self.contains(*p))
    }

    /// Scope names separated by spaces, as stored and as OAuth spells them.
    pub fn to_scopes(self) -> String {
        self.iter().map(Permission::scope).collect::<Vec<_>>().join(" ")
    }

    /// Parses scope names separated by spaces or commas; an unknown name is
    /// the error, so that a typo never silently narrows or widens a token.
    pub fn parse_scopes(s: &str) -> Result<Self, String> {
        let mut set = Permissions::default();
        for name in s.split([' ', ',']).map(str::trim).filter(|n| !n.is_empty()) {
            match Permission::from_scope(name) {
                Some(p) => set.0 |= p.bit(),
                None => return Err(name.to_string()),
            }
        }
        Ok(set)
    }
}

/// Who is asking: a role, and when the caller is an API token, its scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    pub role: Role,
    /// `None` for a browser session, which acts with the whole role.
    pub scopes: Option<Permissions>,
}

/// The answer to one request for a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The role does not hold the permission.
    RoleLacks,
    /// The role holds it, but the token was not given the scope.
    ScopeLacks,
}

/// The one decision: a caller may act when its role holds the permission
/// and, for a token, the token's scopes include it.
pub fn decide(caller: Caller, p: Permission) -> Decision {
    if !caller.role.permissions().contains(p) {
        Decision::RoleLacks
    } else if caller.scopes.is_some_and(|s| !s.contains(p)) {
        Decision::ScopeLacks
    } else {
        Decision::Allow
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest_from_viewer_to_admin() {
        let v = Role::Viewer.permissions();
        let ag = Role::Agent.permissions();
        let an = Role::Analyst.permissions();
        let ad = Role::Admin.permissions();
        assert!(v.is_subset_of(ag) && ag.is_subset_of(an) && an.is_subset_of(ad));
        assert_eq!(ad.iter().count(), Permission::ALL.len());
        assert_eq!(v.iter().collect::<Vec<_>>(), vec![Permission::ViewReports]);
        for p in [Permission::ManageUsers, Permission::ManageIntegrations, Permission::ManagePrivacy] {
            assert!(!an.contains(p), "{p:?} is for admins only");
        }
    }

    #[test]
    fn a_token_acts_with_the_smaller_of_role_and_scopes() {
        let admin_read = Caller { role: Role::Admin, scopes: Some(Permissions::read_only()) };
        assert_eq!(decide(admin_read, Permission::ViewReports), Decision::Allow);
        assert_eq!(decide(admin_read, Permission::ManageSurveys), Decision::ScopeLacks);
        let viewer_all = Caller { role: Role::Viewer, scopes: Some(Role::Admin.permissions()) };
        assert_eq!(decide(viewer_all, Permission::ManageSurveys), Decision::RoleLacks);
        let agent_session = Caller { role: Role::Agent, scopes: None };
        assert_eq!(decide(agent_session, Permission::ManageCustomers), Decision::Allow);
        assert_eq!(decide(agent_session, Permission::ManageSegments), Decision::RoleLacks);
    }

    #[test]
    fn scopes_round_trip_and_refuse_unknown_names() {
        let s = Permissions::parse_scopes("read, surveys export").unwrap();
        assert_eq!(s.to_scopes(), "read export surveys");
        assert_eq!(Permissions::parse_scopes(&s.to_scopes()), Ok(s));
        assert_eq!(Permissions::parse_scopes("read survey"), Err("survey".to_string()));
        assert!(Permissions::parse_scopes("").unwrap().is_empty());
        for p in Permission::ALL {
            assert_eq!(Permission::from_scope(p.scope()), Some(p));
        }
    }

    #[test]
    fn the_old_member_role_reads_as_agent() {
        assert_eq!(Role::parse("member"), Some(Role::Agent));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
