//! The kryoptic PKCS#11 software token as a shared library, for tests only.
//!
//! `kryoptic-lib` implements the whole PKCS#11 3.x function table but is an
//! rlib; a PKCS#11 application (here `cryptoki`, through `dlopen`) needs the
//! three C entry points by their unmangled names. This crate exports exactly
//! those and nothing else. It must never hold any logic of its own.
//!
//! The token's storage comes from the file named by `KRYOPTIC_CONF`.

use kryoptic_lib::fns::general::{fn_get_function_list, fn_get_interface, fn_get_interface_list};
use kryoptic_lib::pkcs11::{
    CK_FLAGS, CK_FUNCTION_LIST_PTR_PTR, CK_INTERFACE_PTR, CK_INTERFACE_PTR_PTR, CK_RV,
    CK_ULONG_PTR, CK_UTF8CHAR_PTR, CK_VERSION_PTR,
};

/// PKCS#11 `C_GetFunctionList`: the version 2.40 function table.
#[no_mangle]
pub extern "C" fn C_GetFunctionList(list: CK_FUNCTION_LIST_PTR_PTR) -> CK_RV {
    fn_get_function_list(list)
}

/// PKCS#11 3.0 `C_GetInterfaceList`.
#[no_mangle]
pub extern "C" fn C_GetInterfaceList(list: CK_INTERFACE_PTR, count: CK_ULONG_PTR) -> CK_RV {
    fn_get_interface_list(list, count)
}

/// PKCS#11 3.0 `C_GetInterface`: the 3.0 table, which has the X25519
/// (`CKK_EC_MONTGOMERY`) key agreement the tests use.
#[no_mangle]
pub extern "C" fn C_GetInterface(
    name: CK_UTF8CHAR_PTR,
    version: CK_VERSION_PTR,
    interface: CK_INTERFACE_PTR_PTR,
    flags: CK_FLAGS,
) -> CK_RV {
    fn_get_interface(name, version, interface, flags)
}
