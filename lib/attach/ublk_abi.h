/*
 * lib/attach/ublk_abi.h -- what lib/attach/ublk.c needs of the ublk
 * driver's ABI beyond Debian 12's <linux/ublk_cmd.h> (which predates the
 * ioctl-encoded command numbers). Written from the kernel's uapi
 * definition (include/uapi/linux/ublk_cmd.h): the commands are the
 * legacy numbers wrapped in _IOR/_IOWR('u', nr, <command struct>), which
 * the driver accepts since 6.3; older drivers only know the bare numbers.
 */
#ifndef FBX_UBLK_ABI_H
#define FBX_UBLK_ABI_H

#include <linux/ioctl.h>
#include <linux/ublk_cmd.h>

#define FBX_UBLK_IOC(nr, type) _IOWR('u', (nr), type)
#define FBX_UBLK_IOC_R(nr, type) _IOR('u', (nr), type)

#define FBX_UBLK_U_CMD_ADD_DEV     FBX_UBLK_IOC(UBLK_CMD_ADD_DEV, struct ublksrv_ctrl_cmd)
#define FBX_UBLK_U_CMD_DEL_DEV     FBX_UBLK_IOC(UBLK_CMD_DEL_DEV, struct ublksrv_ctrl_cmd)
#define FBX_UBLK_U_CMD_START_DEV   FBX_UBLK_IOC(UBLK_CMD_START_DEV, struct ublksrv_ctrl_cmd)
#define FBX_UBLK_U_CMD_STOP_DEV    FBX_UBLK_IOC(UBLK_CMD_STOP_DEV, struct ublksrv_ctrl_cmd)
#define FBX_UBLK_U_CMD_SET_PARAMS  FBX_UBLK_IOC(UBLK_CMD_SET_PARAMS, struct ublksrv_ctrl_cmd)
#define FBX_UBLK_U_CMD_GET_DEV_INFO FBX_UBLK_IOC_R(UBLK_CMD_GET_DEV_INFO, struct ublksrv_ctrl_cmd)
#define FBX_UBLK_U_CMD_GET_PARAMS  FBX_UBLK_IOC_R(UBLK_CMD_GET_PARAMS, struct ublksrv_ctrl_cmd)
#define FBX_UBLK_U_CMD_START_USER_RECOVERY \
	FBX_UBLK_IOC(UBLK_CMD_START_USER_RECOVERY, struct ublksrv_ctrl_cmd)
#define FBX_UBLK_U_CMD_END_USER_RECOVERY \
	FBX_UBLK_IOC(UBLK_CMD_END_USER_RECOVERY, struct ublksrv_ctrl_cmd)
#define FBX_UBLK_U_IO_FETCH_REQ    FBX_UBLK_IOC(UBLK_IO_FETCH_REQ, struct ublksrv_io_cmd)
#define FBX_UBLK_U_IO_COMMIT_AND_FETCH_REQ \
	FBX_UBLK_IOC(UBLK_IO_COMMIT_AND_FETCH_REQ, struct ublksrv_io_cmd)

#define FBX_UBLK_CMD_GET_DEV_INFO2 0x12
#define FBX_UBLK_U_CMD_GET_DEV_INFO2 FBX_UBLK_IOC_R(FBX_UBLK_CMD_GET_DEV_INFO2, struct ublksrv_ctrl_cmd)

/* ADD_DEV flag: a device any user may add (with access to
 * /dev/ublk-control); every later command on it names its char device
 * (/dev/ublkcN) at the start of the command's buffer, its length in the
 * u16 that newer headers call dev_path_len (the first two bytes of
 * data[1] here), and the driver checks the caller's access to it. */
#define FBX_UBLK_F_UNPRIVILEGED_DEV (1ULL << 5)

/* ADD_DEV flag: "this server sends ioctl-encoded commands". */
#define FBX_UBLK_F_CMD_IOCTL_ENCODE (1ULL << 6)

/* The driver lays the queues' descriptor arrays out in the char
 * device's mmap space at this stride, whatever the real depth. */
#define FBX_UBLK_MAX_QUEUE_DEPTH 4096

#endif
