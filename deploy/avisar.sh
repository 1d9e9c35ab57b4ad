#!/bin/sh
# Avisa de una noche de batch que terminó mal. Lo llama batch-aviso@.service
# (OnFailure= de batch-nocturno.service) con el nombre de la unidad fallida:
# deja en el registro del sistema, y por correo si la máquina tiene el
# programa mail, el código de salida, la ruta del resumen de la noche y lo
# último que batch dijo.
#
#   avisar.sh batch-nocturno.service
#
# El correo va a $BATCH_AVISO_PARA (por defecto root; defínalo en
# /etc/batch/batch.env).
#   código 2: no se pudo hacer nada (token rechazado, disco lleno, otra noche
#             en curso...); 3: la noche se interrumpió. El 1 (filas que
#             atender) no llega aquí: la unidad lo cuenta como éxito.
set -u
unidad=${1:-batch-nocturno.service}
para=${BATCH_AVISO_PARA:-root}

codigo=$(systemctl show -p ExecMainStatus --value "$unidad" 2>/dev/null)
invocacion=$(systemctl show -p InvocationID --value "$unidad" 2>/dev/null)
if [ -n "$invocacion" ]; then
	registro=$(journalctl -o cat "_SYSTEMD_INVOCATION_ID=$invocacion" 2>/dev/null | tail -n 60)
else
	registro=$(journalctl -o cat -u "$unidad" -n 60 2>/dev/null)
fi
# --json deja "resumen": "RUTA" ("" si no se pudo escribir).
resumen=$(printf '%s\n' "$registro" | sed -n 's/^.*"resumen": *"\([^"]*\)".*$/\1/p' | tail -n 1)
case "$codigo" in
3) que="se interrumpió (lo que no se envió queda PENDIENTE para la próxima noche)" ;;
2) que="no pudo hacer su trabajo" ;;
*) que="terminó con código ${codigo:-desconocido}" ;;
esac
texto="La noche de batch ($unidad) $que. Resumen de la noche: ${resumen:-no se escribió}. Lo pendiente: batch pendientes --config /etc/batch/config.toml"

logger -t batch-aviso -p user.err -- "$texto"
if command -v mail >/dev/null 2>&1; then
	printf '%s\n\nLo último que dijo batch:\n%s\n' "$texto" "$registro" | mail -s "batch: la noche $que" "$para"
fi
printf '%s\n' "$texto"
