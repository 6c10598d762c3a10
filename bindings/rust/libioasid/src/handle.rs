//! What every object handle of a context has in common.

/// Give a handle type `$ty<'_>` (fields `ctx: &Context`, `id: u32`) its
/// `id()`, a consuming `$end()` that calls `$cfn(ctx, id)` and returns the
/// library's answer, and a `Drop` that makes the same call and ignores the
/// answer. A refused call (only the kernel refuses, the object being in use
/// is ruled out by the borrows) leaves the object in the context, which
/// ends it when it closes. A new kind of object (iommufd's vIOMMU objects)
/// is a struct, its constructor and one line of this.
macro_rules! object_handle {
    ($ty:ident, $end:ident, $cfn:path, $what:literal) => {
        impl $ty<'_> {
            #[doc = concat!("The library's id of the ", $what, ".")]
            pub fn id(&self) -> u32 {
                self.id
            }

            #[doc = concat!("End the ", $what, " now, with the library's answer (`Drop` makes the same call and ")]
            #[doc = "ignores the answer)."]
            pub fn $end(self) -> $crate::Result<()> {
                let me = std::mem::ManuallyDrop::new(self);
                // SAFETY: a live context (borrowed) and our id; `me` is
                // not dropped, so the call is made once.
                me.ctx.check(unsafe { $cfn(me.ctx.as_raw(), me.id) })
            }
        }

        impl Drop for $ty<'_> {
            fn drop(&mut self) {
                // SAFETY: a live context and our id; what uses the object
                // borrows this handle, so nothing is left using it.
                unsafe { $cfn(self.ctx.as_raw(), self.id) };
            }
        }
    };
}
